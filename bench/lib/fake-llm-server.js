// A fake LLM vendor on 127.0.0.1 (random port) speaking just enough of two wire protocols for the
// real `openai` and `@anthropic-ai/sdk` clients (no internet here):
//
// - OpenAI Chat Completions: `POST …/chat/completions`, JSON or `stream: true` SSE (`data: {chunk}`
// lines, then `data: [DONE]`). Any path prefix works, so Azure's `/openai/deployments/<d>/…` does too.
// - OpenAI embeddings: `POST …/embeddings`, deterministic unit vectors (`dimensions`, default 8) as
// float arrays or, when asked (the SDK's default), base64 float32.
// - Anthropic Messages: `POST …/messages`, JSON or SSE (message_start, content_block_start,
// content_block_delta…, content_block_stop, message_delta, message_stop).
//
// Answers come from `respond` (default: echo the last user message). `failNext` queues failures that
// the next requests get instead of an answer, one per request, in order. `streamDelayMs` spaces a
// streamed answer's frames in time (a model producing tokens), and each request's log entry says
// when its first and last bytes were written, so a client's time to first token can be set against
// the server's own.
//
// Plain JavaScript with a declaration file, like corpus-site.js, so that the vitest suites and the
// benchmarks (plain node) share it.
//
// (Written in TypeScript first; this file is its output, kept as the source now: edit it and its .d.ts together.)
import { createHash } from 'node:crypto';
import http from 'node:http';
/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes of one machine. */
export const wallClockMs = () => performance.timeOrigin + performance.now();
export const echoLastUser = (request) => [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
export async function startFakeLlmServer(options = {}) {
    let respond = options.respond ?? echoLastUser;
    const chunkSize = options.chunkSize ?? 4;
    const streamDelayMs = options.streamDelayMs ?? 0;
    const failures = [];
    const requests = [];
    let inFlight = 0;
    /** Set for the request being answered: cut its stream after this many chunks with an error event. */
    let midStreamError;
    let maxInFlight = 0;
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (chunk) => chunks.push(chunk));
        req.on('end', () => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            const entry = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: undefined, at: Date.now(), status: 200 };
            requests.push(entry);
            handle(req, res, Buffer.concat(chunks).toString('utf8'), entry)
                .catch((error) => {
                if (!res.headersSent)
                    sendJson(res, entry, 500, { error: { message: String(error), type: 'server_error' } });
                else
                    res.end();
            })
                .finally(() => { inFlight--; });
        });
    });
    async function handle(req, res, text, entry) {
        let body;
        try {
            body = JSON.parse(text);
        }
        catch {
            sendJson(res, entry, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
            return;
        }
        entry.body = body;
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (req.method !== 'POST')
            return sendJson(res, entry, 405, { error: { message: 'POST only' } });
        let failure = failures.shift();
        if (failure !== undefined && 'delayMs' in failure) {
            await new Promise((resolve) => setTimeout(resolve, failure && 'delayMs' in failure ? failure.delayMs : 0));
            failure = undefined;
        }
        if (failure !== undefined && 'midStreamErrorAfterChunks' in failure) {
            midStreamError = failure.midStreamErrorAfterChunks;
            failure = undefined;
        }
        if (failure !== undefined)
            return sendFailure(res, entry, failure);
        if (path.endsWith('/chat/completions'))
            return openaiChat(res, entry, body);
        if (path.endsWith('/embeddings'))
            return openaiEmbeddings(res, entry, body);
        if (path.endsWith('/messages'))
            return anthropicMessages(res, entry, body);
        sendJson(res, entry, 404, { error: { message: `no route ${path}`, type: 'not_found_error' } });
    }
    async function openaiChat(res, entry, body) {
        const raw = body.messages ?? [];
        const system = raw.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => contentText(m.content)).join('\n') || undefined;
        const messages = raw.filter((m) => m.role !== 'system' && m.role !== 'developer').map((m) => ({ role: m.role, content: contentText(m.content) }));
        const stream = body.stream === true;
        const model = String(body.model ?? '');
        const answer = await respond({
            api: 'openai', model, system, messages, stream,
            maxTokens: numberOr(body.max_completion_tokens ?? body.max_tokens), temperature: numberOr(body.temperature),
        });
        const usage = { prompt_tokens: words(raw.map((m) => contentText(m.content)).join(' ')), completion_tokens: words(answer) };
        const id = 'chatcmpl-fake';
        const created = Math.floor(Date.now() / 1000);
        if (!stream) {
            return sendJson(res, entry, 200, {
                id, object: 'chat.completion', created, model,
                choices: [{ index: 0, message: { role: 'assistant', content: answer, refusal: null }, finish_reason: 'stop', logprobs: null }],
                usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
            });
        }
        const chunk = (delta, finish) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
        const events = [chunk({ role: 'assistant', content: '' }, null)];
        for (const piece of pieces(answer, chunkSize))
            events.push(chunk({ content: piece }, null));
        events.push(chunk({}, 'stop'));
        if (body.stream_options?.include_usage === true) {
            events.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
        }
        const frames = events.map((event) => `data: ${JSON.stringify(event)}\n\n`);
        const cut = takeMidStreamError();
        if (cut !== undefined) {
            return sendSse(res, entry, [...frames.slice(0, cut + 1), `data: ${JSON.stringify({ error: { message: 'injected overload mid-stream', type: 'server_error', code: 503 } })}\n\n`]);
        }
        return sendSse(res, entry, frames.concat('data: [DONE]\n\n'));
    }
    async function anthropicMessages(res, entry, body) {
        const system = body.system === undefined ? undefined : contentText(body.system);
        const messages = (body.messages ?? []).map((m) => ({ role: m.role, content: contentText(m.content) }));
        const stream = body.stream === true;
        const model = String(body.model ?? '');
        const answer = await respond({ api: 'anthropic', model, system, messages, stream, maxTokens: numberOr(body.max_tokens), temperature: numberOr(body.temperature) });
        const usage = { input_tokens: words([system ?? '', ...messages.map((m) => m.content)].join(' ')), output_tokens: words(answer) };
        const message = { id: 'msg_fake', type: 'message', role: 'assistant', model, stop_reason: 'end_turn', stop_sequence: null };
        if (!stream)
            return sendJson(res, entry, 200, { ...message, content: [{ type: 'text', text: answer }], usage });
        const event = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
        const cut = takeMidStreamError();
        if (cut !== undefined) {
            return sendSse(res, entry, [
                event('message_start', { message: { ...message, content: [], stop_reason: null, usage: { input_tokens: usage.input_tokens, output_tokens: 1 } } }),
                event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
                ...pieces(answer, chunkSize).slice(0, cut).map((text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
                `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'injected overload mid-stream' } })}\n\n`,
            ]);
        }
        return sendSse(res, entry, [
            event('message_start', { message: { ...message, content: [], stop_reason: null, usage: { input_tokens: usage.input_tokens, output_tokens: 1 } } }),
            event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
            ...pieces(answer, chunkSize).map((text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
            event('content_block_stop', { index: 0 }),
            event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }),
            event('message_stop', {}),
        ]);
    }
    function openaiEmbeddings(res, entry, body) {
        const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input ?? '')];
        const dimensions = numberOr(body.dimensions) ?? 8;
        const base64 = body.encoding_format === 'base64';
        const data = inputs.map((input, index) => {
            const vector = fakeEmbedding(input, dimensions);
            const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
            return { object: 'embedding', index, embedding };
        });
        const tokens = words(inputs.join(' '));
        sendJson(res, entry, 200, { object: 'list', data, model: String(body.model ?? ''), usage: { prompt_tokens: tokens, total_tokens: tokens } });
    }
    async function sendSse(res, entry, frames) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        for (const [i, frame] of frames.entries()) {
            if (i > 0 && streamDelayMs > 0)
                await new Promise((resolve) => setTimeout(resolve, streamDelayMs));
            if (res.destroyed)
                return;
            res.write(frame);
            if (i === 0)
                entry.firstByteAt = wallClockMs();
        }
        entry.lastByteAt = wallClockMs();
        res.end();
    }
    function takeMidStreamError() {
        const cut = midStreamError;
        midStreamError = undefined;
        return cut;
    }
    function sendFailure(res, entry, failure) {
        if ('malformedJson' in failure) {
            entry.status = 200;
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"id": "broken", "choices": [');
            return;
        }
        if (!('status' in failure))
            return;
        const headers = {};
        if ('retryAfterSeconds' in failure && failure.retryAfterSeconds !== undefined)
            headers['retry-after'] = String(failure.retryAfterSeconds);
        if ('retryAfterMs' in failure && failure.retryAfterMs !== undefined)
            headers['retry-after-ms'] = String(failure.retryAfterMs);
        const message = 'message' in failure && failure.message !== undefined ? failure.message : `injected HTTP ${failure.status}`;
        const type = failure.status === 429 ? 'rate_limit_error' : failure.status >= 500 ? 'api_error' : 'invalid_request_error';
        sendJson(res, entry, failure.status, { type: 'error', error: { message, type } }, headers);
    }
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}`;
    return {
        url,
        openaiBaseUrl: `${url}/v1`,
        get requestCount() { return requests.length; },
        get requests() { return requests; },
        get inFlight() { return inFlight; },
        get maxInFlight() { return maxInFlight; },
        setResponder(next) { respond = next; },
        failNext(failure, times = 1) { for (let i = 0; i < times; i++)
            failures.push(failure); },
        reset() { requests.length = 0; failures.length = 0; maxInFlight = inFlight; },
        close: () => new Promise((resolve, reject) => {
            server.closeAllConnections();
            server.close((error) => (error ? reject(error) : resolve()));
        }),
    };
}
/** The fake's deterministic embedding of `text`: a unit vector derived from its sha256. */
export function fakeEmbedding(text, dimensions) {
    const values = [];
    let block = createHash('sha256').update(text).digest();
    for (let i = 0; values.length < dimensions; i++) {
        if (i * 2 + 2 > block.length) {
            block = createHash('sha256').update(block).digest();
            i = 0;
        }
        values.push(block.readInt16BE(i * 2) / 32768);
    }
    const norm = Math.hypot(...values) || 1;
    // Round-trip through float32 so base64 and float answers agree exactly.
    return Array.from(new Float32Array(values.map((value) => value / norm)));
}
function sendJson(res, entry, status, body, headers = {}) {
    entry.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
}
function contentText(content) {
    if (typeof content === 'string')
        return content;
    if (Array.isArray(content))
        return content.map((part) => (typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '')).join('');
    return '';
}
function pieces(text, size) {
    const chars = Array.from(text);
    const out = [];
    for (let i = 0; i < chars.length; i += size)
        out.push(chars.slice(i, i + size).join(''));
    return out;
}
function words(text) {
    return text.split(/\s+/).filter(Boolean).length;
}
function numberOr(value) {
    return typeof value === 'number' ? value : undefined;
}
