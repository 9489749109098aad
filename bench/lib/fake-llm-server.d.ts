// Types of fake-llm-server.js (plain JavaScript so the benchmarks can run it without a build).
import http from 'node:http';
/**
 * A fake LLM vendor on 127.0.0.1 (random port) speaking just enough of two wire protocols for the
 * real `openai` and `@anthropic-ai/sdk` clients (no internet here):
 *
 * - OpenAI Chat Completions: `POST …/chat/completions`, JSON or `stream: true` SSE (`data: {chunk}`
 *   lines, then `data: [DONE]`). Any path prefix works, so Azure's `/openai/deployments/<d>/…` does too.
 * - OpenAI embeddings: `POST …/embeddings`, deterministic unit vectors (`dimensions`, default 8) as
 *   float arrays or, when asked (the SDK's default), base64 float32.
 * - Anthropic Messages: `POST …/messages`, JSON or SSE (message_start, content_block_start,
 *   content_block_delta…, content_block_stop, message_delta, message_stop).
 *
 * Answers come from `respond` (default: echo the last user message). `failNext` queues failures that
 * the next requests get instead of an answer, one per request, in order. `streamDelayMs` spaces a
 * streamed answer's frames in time (a model producing tokens), and each request's log entry says
 * when its first and last bytes were written, so a client's time to first token can be set against
 * the server's own.
 *
 * Plain JavaScript with a declaration file, like corpus-site.js, so that the vitest suites and the
 * benchmarks (plain node) share it.
 */
export interface FakeChatRequest {
    api: 'openai' | 'anthropic';
    model: string;
    system: string | undefined;
    messages: Array<{
        role: string;
        content: string;
    }>;
    maxTokens: number | undefined;
    temperature: number | undefined;
    stream: boolean;
}
export type FakeResponder = (request: FakeChatRequest) => string | Promise<string>;
export type FakeFailure = {
    status: 429;
    retryAfterSeconds?: number;
    retryAfterMs?: number;
} | {
    status: number;
    message?: string;
} | {
    malformedJson: true;
}
/** Wait this long before answering normally (for timeouts and concurrency). */
 | {
    delayMs: number;
}
/** A streamed answer that sends `afterChunks` text chunks, then the provider's error event (an overloaded 5xx mid-stream). */
 | {
    midStreamErrorAfterChunks: number;
};
export interface FakeRequestLogEntry {
    method: string;
    path: string;
    headers: http.IncomingHttpHeaders;
    body: unknown;
    /** `Date.now()` on arrival. */
    at: number;
    /** The status sent (200 for answers). */
    status: number;
    /** Wall-clock time (ms since the epoch, sub-millisecond) the first byte of a streamed answer was written. */
    firstByteAt?: number;
    /** …and the last one (before the stream ended). */
    lastByteAt?: number;
}
export interface FakeLlmServer {
    /** `http://127.0.0.1:<port>` — the Anthropic SDK's `baseURL`. */
    readonly url: string;
    /** `<url>/v1` — the OpenAI SDK's `baseURL`. */
    readonly openaiBaseUrl: string;
    /** Requests received so far (all paths). */
    readonly requestCount: number;
    readonly requests: readonly FakeRequestLogEntry[];
    /** Requests being answered right now (concurrency observed by the server). */
    readonly inFlight: number;
    readonly maxInFlight: number;
    setResponder(respond: FakeResponder): void;
    /** The next `times` requests get `failure` (queued after earlier failures). */
    failNext(failure: FakeFailure, times?: number): void;
    /** Forget the request log and counters (not the responder). */
    reset(): void;
    close(): Promise<void>;
}
export interface FakeLlmServerOptions {
    respond?: FakeResponder;
    /** Characters per streamed chunk (default 4). */
    chunkSize?: number;
    /** Pause between the frames of a streamed answer (default 0: all at once). */
    streamDelayMs?: number;
}
/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes of one machine. */
export declare const wallClockMs: () => number;
export declare const echoLastUser: FakeResponder;
export declare function startFakeLlmServer(options?: FakeLlmServerOptions): Promise<FakeLlmServer>;
/** The fake's deterministic embedding of `text`: a unit vector derived from its sha256. */
export declare function fakeEmbedding(text: string, dimensions: number): number[];
