// The fake LLM vendor lives beside the benchmarks (plain JavaScript, shared with them): see bench/lib/fake-llm-server.js.
export {
  echoLastUser, fakeEmbedding, startFakeLlmServer, wallClockMs,
  type FakeChatRequest, type FakeFailure, type FakeLlmServer, type FakeLlmServerOptions, type FakeRequestLogEntry, type FakeResponder,
} from '../../bench/lib/fake-llm-server.js'
