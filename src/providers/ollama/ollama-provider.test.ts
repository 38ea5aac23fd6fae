import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFixtureReplayServer } from "../../../test/support/fixture-replay-server.ts";
import { startLoopbackServer } from "../../../test/support/loopback-server.ts";
import { type OllamaServerOptions, startOllamaServer } from "../../../test/support/ollama-server.ts";
import type { ChatMessage, Completion } from "../../core/chat.ts";
import type { ModelSpec } from "../../core/study.ts";
import { modelSpecSchema } from "../../core/study-schema.ts";
import type { CompletionRequest } from "../provider.ts";
import { ProviderError } from "../provider.ts";
import { createOllamaProvider, digestOf } from "./ollama-provider.ts";

const FIXTURES = join(import.meta.dirname, "fixtures");
const R1_DIGEST = "6995872bfe4c521a67b32da386cd21d5c6e819b6e0d62f79f64ec83be99f5763";

const MESSAGES: ChatMessage[] = [
  { role: "system", content: "You are a clinician. List your top 3 differential diagnoses." },
  { role: "user", content: "A 34-year-old woman, six weeks of amenorrhoea, pelvic pain, fainted at work." },
];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
  delete process.env.CLINVAL_OLLAMA_TEST_KEY;
});

function modelSpec(fields: Partial<ModelSpec> & { baseUrl: string }): ModelSpec {
  return modelSpecSchema.parse({ id: "r1-8b", provider: "ollama", model: "deepseek-r1:8b", ...fields });
}

function request(fields: Partial<CompletionRequest> = {}): CompletionRequest {
  return { messages: MESSAGES, params: {}, signal: new AbortController().signal, ...fields };
}

async function failureOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return { failure: error.failure, status: error.status, retryable: error.retryable, message: error.message };
}

async function replay(
  routes: Array<{ method: "GET" | "POST"; path: string; file: string; status?: number }>,
) {
  const server = await startFixtureReplayServer(
    routes.map((route) => ({ ...route, file: join(FIXTURES, route.file) })),
  );
  cleanups.push(server.close);
  return server;
}

async function fakeServer(options: OllamaServerOptions) {
  const server = await startOllamaServer(options);
  cleanups.push(server.close);
  return server;
}

describe("recorded server responses", () => {
  const cases: Array<[string, string, Omit<Completion, "latencyMs">]> = [
    [
      "chat-thinking.ndjson",
      "think: true, reasoning in message.thinking",
      {
        text: "1. Ectopic pregnancy\n2. Ovarian torsion",
        reasoning: "Amenorrhoea with pelvic pain and syncope points to a ruptured ectopic.",
        finishReason: "stop",
        tokens: { prompt: 57, completion: 63, reasoning: null },
        model: { provider: "ollama", model: "deepseek-r1:8b" },
      },
    ],
    [
      "chat-plain.ndjson",
      "a model that does not reason",
      {
        text: "1. Ectopic pregnancy\n2. Appendicitis",
        reasoning: null,
        finishReason: "stop",
        tokens: { prompt: 52, completion: 14, reasoning: null },
        model: { provider: "ollama", model: "llama3.1:8b" },
      },
    ],
    [
      "chat-inline-think.ndjson",
      "an older server: <think> inline in the content",
      {
        text: "1. Ectopic pregnancy",
        reasoning: "Syncope in early pregnancy (β-hCG positive): bleeding.",
        finishReason: "stop",
        tokens: { prompt: 57, completion: 31, reasoning: null },
        model: { provider: "ollama", model: "deepseek-r1:8b" },
      },
    ],
    [
      "chat-length.ndjson",
      "num_predict reached while thinking",
      {
        text: "",
        reasoning: "Consider pregnancy first, then torsion",
        finishReason: "length",
        tokens: { prompt: 57, completion: 16, reasoning: null },
        model: { provider: "ollama", model: "deepseek-r1:8b" },
      },
    ],
  ];

  it.each(cases)("%s (%s)", async (file, _shape, expected) => {
    const server = await replay([{ method: "POST", path: "/api/chat", file }]);
    const provider = createOllamaProvider(modelSpec({ baseUrl: server.origin }));
    expect(await provider.complete(request())).toEqual({ ...expected, latencyMs: expect.any(Number) });
  });

  it.each([
    [
      "error-404-model-not-found.json",
      404,
      {
        failure: "http",
        status: 404,
        retryable: false,
        message: 'HTTP 404 from ORIGIN/api/chat: model "deepseek-r1:70b" not found, try pulling it first',
      },
    ],
    [
      "error-400-no-thinking.json",
      400,
      {
        failure: "http",
        status: 400,
        retryable: false,
        message: 'HTTP 400 from ORIGIN/api/chat: "llama3.1:8b" does not support thinking',
      },
    ],
    [
      "error-500-runner.json",
      500,
      {
        failure: "http",
        status: 500,
        retryable: true,
        message: "HTTP 500 from ORIGIN/api/chat: llama runner process has terminated: signal: killed",
      },
    ],
    [
      "chat-stream-error.ndjson",
      200,
      {
        failure: "http",
        status: undefined,
        retryable: true,
        message:
          "error inside the response stream from ORIGIN/api/chat: an error was encountered while running the model: unexpected EOF",
      },
    ],
  ])("%s (status %i) becomes a ProviderError", async (file, status, expected) => {
    const server = await replay([{ method: "POST", path: "/api/chat", file, status }]);
    const provider = createOllamaProvider(modelSpec({ baseUrl: server.origin }));
    expect(await failureOf(provider.complete(request()))).toEqual({
      ...expected,
      message: expected.message.replace("ORIGIN", server.origin),
    });
  });
});

describe("identify", () => {
  it("checks the model with /api/show and records its digest from /api/tags", async () => {
    const server = await replay([
      { method: "POST", path: "/api/show", file: "show.json" },
      { method: "GET", path: "/api/tags", file: "tags.json" },
      { method: "POST", path: "/api/chat", file: "chat-thinking.ndjson" },
    ]);
    const provider = createOllamaProvider(modelSpec({ baseUrl: server.origin }));
    expect(await provider.identify(new AbortController().signal)).toEqual({
      provider: "ollama",
      model: "deepseek-r1:8b",
      digest: R1_DIGEST,
    });
    expect(server.requests.map(({ method, path, body }) => [method, path, body])).toEqual([
      ["POST", "/api/show", { model: "deepseek-r1:8b" }],
      ["GET", "/api/tags", {}],
    ]);
    expect((await provider.complete(request())).model).toEqual({
      provider: "ollama",
      model: "deepseek-r1:8b",
      digest: R1_DIGEST,
    });
  });

  it("reports a model that is not pulled", async () => {
    const server = await replay([
      { method: "POST", path: "/api/show", file: "error-404-model-not-found.json", status: 404 },
    ]);
    const provider = createOllamaProvider(modelSpec({ baseUrl: server.origin, model: "deepseek-r1:70b" }));
    expect(await failureOf(provider.identify(new AbortController().signal))).toEqual({
      failure: "http",
      status: 404,
      retryable: false,
      message: `HTTP 404 from ${server.origin}/api/show: model "deepseek-r1:70b" not found, try pulling it first`,
    });
  });

  it("gives no digest when /api/tags does not list the model", async () => {
    const server = await replay([
      { method: "POST", path: "/api/show", file: "show.json" },
      { method: "GET", path: "/api/tags", file: "tags.json" },
    ]);
    const provider = createOllamaProvider(modelSpec({ baseUrl: server.origin, model: "qwen3:8b" }));
    expect(await provider.identify(new AbortController().signal)).toEqual({
      provider: "ollama",
      model: "qwen3:8b",
    });
  });
});

describe("digestOf", () => {
  const tags = {
    models: [
      { name: "llama3.1:latest", model: "llama3.1:latest", digest: "aaa" },
      { name: "hf.co/unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF:Q4_K_M", digest: "bbb" },
      { name: "broken" },
    ],
  };

  it.each([
    ["llama3.1", "aaa"],
    ["llama3.1:latest", "aaa"],
    ["hf.co/unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF:Q4_K_M", "bbb"],
    ["hf.co/unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF", undefined],
    ["broken", undefined],
  ])("%s → %s", (model, digest) => {
    expect(digestOf(tags, model)).toBe(digest);
  });

  it("ignores a body that is not a model list", () => {
    expect(digestOf({ error: "x" }, "llama3.1")).toBeUndefined();
  });
});

describe("requests", () => {
  it("sends messages, think, options and the JSON schema as format; request params override the study's", async () => {
    const server = await fakeServer({ reply: () => ({ content: '{"diagnoses":["Ectopic pregnancy"]}' }) });
    const provider = createOllamaProvider(
      modelSpec({
        baseUrl: server.url,
        params: { temperature: 0.6, maxTokens: 8192, seed: 7, think: false },
      }),
    );
    const schema = {
      type: "object",
      properties: { diagnoses: { type: "array", items: { type: "string" } } },
    };
    await provider.complete(
      request({ params: { think: true, topP: 0.95, topK: 20, stop: ["<|end|>"] }, responseSchema: schema }),
    );
    expect(server.requests[0].body).toEqual({
      model: "deepseek-r1:8b",
      messages: MESSAGES,
      stream: true,
      think: true,
      format: schema,
      options: { temperature: 0.6, top_p: 0.95, top_k: 20, num_predict: 8192, seed: 7, stop: ["<|end|>"] },
    });
  });

  it("leaves think and format out when not asked for", async () => {
    const server = await fakeServer({ reply: () => ({ content: "ok" }) });
    const provider = createOllamaProvider(modelSpec({ baseUrl: server.url }));
    await provider.complete(request());
    expect(server.requests[0].body).toEqual({
      model: "deepseek-r1:8b",
      messages: MESSAGES,
      stream: true,
      options: {},
    });
  });

  it("reads the fake server's stream into the completion", async () => {
    const server = await fakeServer({
      reply: () => ({
        content: "1. Ectopic pregnancy",
        thinking: "Syncope.",
        promptEvalCount: 40,
        evalCount: 12,
      }),
      models: [{ name: "deepseek-r1:8b", digest: R1_DIGEST }],
    });
    const provider = createOllamaProvider(modelSpec({ baseUrl: server.url }));
    await provider.identify(new AbortController().signal);
    expect(await provider.complete(request())).toEqual({
      text: "1. Ectopic pregnancy",
      reasoning: "Syncope.",
      finishReason: "stop",
      tokens: { prompt: 40, completion: 12, reasoning: null },
      latencyMs: expect.any(Number),
      model: { provider: "ollama", model: "deepseek-r1:8b", digest: R1_DIGEST },
    });
  });

  it("sends an API key from the named variable and keeps it out of errors", async () => {
    const key = "ollama-key-9f8e7d6c5b4a";
    process.env.CLINVAL_OLLAMA_TEST_KEY = key;
    const server = await fakeServer({
      reply: (received) => ({
        status: 401,
        body: { error: `unauthorized: ${received.headers.authorization}` },
      }),
    });
    const provider = createOllamaProvider(
      modelSpec({ baseUrl: server.url, apiKeyEnv: "CLINVAL_OLLAMA_TEST_KEY" }),
    );
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "http",
      status: 401,
      retryable: false,
      message: `HTTP 401 from ${server.url}/api/chat: unauthorized: Bearer [redacted]`,
    });
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${key}`);
  });

  it("starts without a key when the key variable is not set", () => {
    expect(() =>
      createOllamaProvider(
        modelSpec({ baseUrl: "http://127.0.0.1:9", apiKeyEnv: "CLINVAL_OLLAMA_UNSET_KEY" }),
      ),
    ).not.toThrow();
  });
});

describe("faults", () => {
  async function providerReplying(reply: OllamaServerOptions["reply"]) {
    const server = await fakeServer({ reply });
    return { server, provider: createOllamaProvider(modelSpec({ baseUrl: server.url })) };
  }

  it.each([
    [500, true],
    [503, true],
    [429, true],
    [400, false],
    [404, false],
  ])("HTTP %i is an http failure (retryable: %s)", async (status, retryable) => {
    const { server, provider } = await providerReplying(() => ({ status }));
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "http",
      status,
      retryable,
      message: `HTTP ${status} from ${server.url}/api/chat: scripted failure`,
    });
  });

  it("a refused connection is a connection failure", async () => {
    const { server, provider } = await providerReplying(() => ({ content: "never" }));
    await server.close();
    const failure = await failureOf(provider.complete(request()));
    expect([failure.failure, failure.retryable]).toEqual(["connection", true]);
  });

  it("a connection closed before any answer is a connection failure", async () => {
    const { server, provider } = await providerReplying(() => ({ destroySocket: true }));
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "connection",
      status: undefined,
      retryable: true,
      message: `could not reach ${server.url}/api/chat: socket hang up (ECONNRESET)`,
    });
  });

  it.each([
    [
      { cutMidStream: true as const },
      'the response stream ended without a "done": true line (cut before its end)',
    ],
    [
      { malformed: true as const },
      'a stream line is not a JSON object: {"model":"deepseek-r1:8b","message":{"content":" Ect',
    ],
  ])("%j is a retryable malformed answer", async (reply, message) => {
    const { server, provider } = await providerReplying(() => reply);
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "malformed",
      status: undefined,
      retryable: true,
      message: `${message} (from ${server.url}/api/chat)`,
    });
  });

  it("a connection lost in the middle of the stream is malformed", async () => {
    const server = await startLoopbackServer((request, response) => {
      response.writeHead(200, { "content-type": "application/x-ndjson" });
      response.write('{"model":"m","message":{"role":"assistant","content":"1."},"done":false}\n', () => {
        setTimeout(() => request.socket.destroy(), 10);
      });
    });
    cleanups.push(server.close);
    const provider = createOllamaProvider(modelSpec({ baseUrl: server.origin }));
    const failure = await failureOf(provider.complete(request()));
    expect([failure.failure, failure.retryable]).toEqual(["malformed", true]);
  });

  it("timeout and cancellation follow the signal's reason", async () => {
    const { server, provider } = await providerReplying(() => ({ delayMs: 60_000 }));
    expect((await failureOf(provider.complete(request({ signal: AbortSignal.timeout(50) })))).failure).toBe(
      "timeout",
    );
    const before = server.requests.length;
    const controller = new AbortController();
    const pending = provider.complete(request({ signal: controller.signal }));
    while (server.requests.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    expect(await failureOf(pending)).toEqual({
      failure: "cancelled",
      status: undefined,
      retryable: false,
      message: `cancelled waiting for ${server.url}/api/chat: This operation was aborted`,
    });
  });
});
