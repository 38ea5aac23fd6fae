import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFixtureReplayServer } from "../../../test/support/fixture-replay-server.ts";
import { startLoopbackServer } from "../../../test/support/loopback-server.ts";
import { startOpenAICompatibleServer } from "../../../test/support/openai-compatible-server.ts";
import type { ChatMessage, Completion } from "../../core/chat.ts";
import type { ModelSpec } from "../../core/study.ts";
import { modelSpecSchema } from "../../core/study-schema.ts";
import type { CompletionRequest } from "../provider.ts";
import { ProviderError } from "../provider.ts";
import { createOpenAICompatibleProvider } from "./openai-compatible-provider.ts";

const FIXTURES = join(import.meta.dirname, "fixtures");

const MESSAGES: ChatMessage[] = [
  { role: "system", content: "You are a clinician. List your top 3 differential diagnoses." },
  { role: "user", content: "A 34-year-old woman, six weeks of amenorrhoea, pelvic pain, fainted at work." },
];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
  delete process.env.CLINVAL_OPENAI_TEST_KEY;
});

function modelSpec(fields: Partial<ModelSpec> & { baseUrl: string }): ModelSpec {
  return modelSpecSchema.parse({
    id: "candidate",
    provider: "openai",
    model: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    ...fields,
  });
}

function request(fields: Partial<CompletionRequest> = {}): CompletionRequest {
  return { messages: MESSAGES, params: {}, signal: new AbortController().signal, ...fields };
}

/** The parts of a failure a runner looks at. */
async function failureOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return { failure: error.failure, status: error.status, retryable: error.retryable, message: error.message };
}

async function replay(
  file: string,
  options: { status?: number; path?: string; method?: "GET" | "POST" } = {},
) {
  const server = await startFixtureReplayServer([
    {
      method: options.method ?? "POST",
      path: options.path ?? "/v1/chat/completions",
      file: join(FIXTURES, file),
      status: options.status,
    },
  ]);
  cleanups.push(server.close);
  return server;
}

describe("recorded server responses", () => {
  const cases: Array<[string, string, Omit<Completion, "latencyMs">]> = [
    [
      "vllm-0.8-reasoning-content.sse",
      "vLLM 0.8 with a reasoning parser: reasoning_content deltas",
      {
        text: "1. Ectopic pregnancy\n2. Ovarian torsion\n3. Ruptured ovarian cyst",
        reasoning:
          "A 34-year-old woman with six weeks of amenorrhoea, pelvic pain and syncope: rule out a ruptured ectopic first.",
        finishReason: "stop",
        tokens: { prompt: 96, completion: 47, reasoning: null },
        model: { provider: "openai", model: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B" },
      },
    ],
    [
      "vllm-0.11-reasoning.sse",
      "vLLM 0.11: the field renamed to reasoning",
      {
        text: "1. Ectopic pregnancy\n2. Ovarian torsion\n3. Ruptured ovarian cyst",
        reasoning:
          "A 34-year-old woman with six weeks of amenorrhoea, pelvic pain and syncope: rule out a ruptured ectopic first.",
        finishReason: "stop",
        tokens: { prompt: 96, completion: 47, reasoning: null },
        model: { provider: "openai", model: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B" },
      },
    ],
    [
      "vllm-plain.sse",
      "vLLM with a model that does not reason",
      {
        text: "1. Ectopic pregnancy\n2. Appendicitis\n3. Pelvic inflammatory disease",
        reasoning: null,
        finishReason: "stop",
        tokens: { prompt: 88, completion: 22, reasoning: null },
        model: { provider: "openai", model: "meta-llama/Llama-3.1-8B-Instruct" },
      },
    ],
    [
      "vllm-lone-close-think.sse",
      "vLLM without a reasoning parser: a lone </think> split across chunks",
      {
        text: "1. Ectopic pregnancy\n2. Ovarian torsion",
        reasoning: "Syncope with pelvic pain in early pregnancy suggests rupture.",
        finishReason: "stop",
        tokens: { prompt: 91, completion: 30, reasoning: null },
        model: { provider: "openai", model: "deepseek-ai/DeepSeek-R1-Distill-Llama-8B" },
      },
    ],
    [
      "vllm-length-in-reasoning.sse",
      "vLLM cut by max_tokens while reasoning",
      {
        text: "",
        reasoning: "First consider pregnancy-related causes. Then torsion, then",
        finishReason: "length",
        tokens: { prompt: 96, completion: 16, reasoning: null },
        model: { provider: "openai", model: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B" },
      },
    ],
    [
      "vllm-0.8-non-streamed.json",
      "a server that ignores stream: true",
      {
        text: "1. Ectopic pregnancy\n2. Ovarian torsion\n3. Ruptured ovarian cyst",
        reasoning: "Amenorrhoea, pain and syncope: a ruptured ectopic until proven otherwise.",
        finishReason: "stop",
        tokens: { prompt: 96, completion: 35, reasoning: null },
        model: { provider: "openai", model: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B" },
      },
    ],
    [
      "llama-cpp-reasoning.sse",
      "llama.cpp server: reasoning_content, usage chunk with timings",
      {
        text: "1. Ectopic pregnancy\n2. Ovarian torsion",
        reasoning: "Pregnancy test first; syncope means bleeding.",
        finishReason: "stop",
        tokens: { prompt: 84, completion: 29, reasoning: null },
        model: { provider: "openai", model: "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf" },
      },
    ],
    [
      "llama-cpp-no-usage.sse",
      "llama.cpp server without usage: counts from timings (cached + evaluated prompt)",
      {
        text: "1. Ectopic pregnancy",
        reasoning: "Check β-hCG.",
        finishReason: "length",
        tokens: { prompt: 84, completion: 12, reasoning: null },
        model: { provider: "openai", model: "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf" },
      },
    ],
    [
      "deepseek-api-reasoner.sse",
      "DeepSeek API: reasoning_content and reasoning_tokens",
      {
        text: "1. Ectopic pregnancy\n2. Ovarian torsion",
        reasoning: "Reproductive age, amenorrhoea, collapse: haemorrhage from an ectopic.",
        finishReason: "stop",
        tokens: { prompt: 79, completion: 212, reasoning: 187 },
        model: { provider: "openai", model: "deepseek-reasoner" },
      },
    ],
  ];

  it.each(cases)("%s (%s)", async (file, _shape, expected) => {
    const server = await replay(file);
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: `${server.origin}/v1` }));
    expect(await provider.complete(request())).toEqual({ ...expected, latencyMs: expect.any(Number) });
  });

  const failures: Array<
    [string, number, { failure: string; status?: number; retryable: boolean; message: string }]
  > = [
    [
      "vllm-error-404-model.json",
      404,
      {
        failure: "http",
        status: 404,
        retryable: false,
        message: "HTTP 404 from ORIGIN/v1/chat/completions: The model `deepseek-r1` does not exist.",
      },
    ],
    [
      "vllm-0.8-error-400-context.json",
      400,
      {
        failure: "http",
        status: 400,
        retryable: false,
        message:
          "HTTP 400 from ORIGIN/v1/chat/completions: This model's maximum context length is 4096 tokens. However, you requested 4200 tokens (104 in the messages, 4096 in the completion). Please reduce the length of the messages or completion.",
      },
    ],
    [
      "llama-cpp-error-503-loading.json",
      503,
      {
        failure: "http",
        status: 503,
        retryable: true,
        message: "HTTP 503 from ORIGIN/v1/chat/completions: Loading model",
      },
    ],
    [
      "llama-cpp-error-401.json",
      401,
      {
        failure: "http",
        status: 401,
        retryable: false,
        message: "HTTP 401 from ORIGIN/v1/chat/completions: Invalid API Key",
      },
    ],
    [
      "vllm-stream-error.sse",
      200,
      {
        failure: "http",
        status: 500,
        retryable: true,
        message:
          "error inside the response stream from ORIGIN/v1/chat/completions: EngineCore encountered an issue. See stack trace (above) for the root cause.",
      },
    ],
    [
      "llama-cpp-stream-error.sse",
      200,
      {
        failure: "http",
        status: 500,
        retryable: true,
        message:
          "error inside the response stream from ORIGIN/v1/chat/completions: Failed to decode the batch: could not find a KV slot",
      },
    ],
    [
      "llama-cpp-python-0.3-interrupted.sse",
      200,
      {
        failure: "malformed",
        status: undefined,
        retryable: true,
        message:
          "the response stream ended with data: [DONE] before any choice had a finish_reason (the server cut the answer short) (from ORIGIN/v1/chat/completions)",
      },
    ],
  ];

  it.each(failures)("%s (status %i) becomes a ProviderError", async (file, status, expected) => {
    const server = await replay(file, { status });
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: `${server.origin}/v1` }));
    expect(await failureOf(provider.complete(request()))).toEqual({
      ...expected,
      message: expected.message.replace("ORIGIN", server.origin),
    });
  });
});

describe("identify", () => {
  it("finds the model in vLLM's /v1/models", async () => {
    const server = await replay("vllm-models.json", { method: "GET", path: "/v1/models" });
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: `${server.origin}/v1` }));
    expect(await provider.identify(new AbortController().signal)).toEqual({
      provider: "openai",
      model: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    });
  });

  it("finds the model in llama.cpp's /v1/models", async () => {
    const server = await replay("llama-cpp-models.json", { method: "GET", path: "/v1/models" });
    const provider = createOpenAICompatibleProvider(
      modelSpec({ baseUrl: `${server.origin}/v1`, model: "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf" }),
    );
    expect(await provider.identify(new AbortController().signal)).toEqual({
      provider: "openai",
      model: "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf",
    });
  });

  it("fails, without retry, for a model the server does not list", async () => {
    const server = await replay("vllm-models.json", { method: "GET", path: "/v1/models" });
    const provider = createOpenAICompatibleProvider(
      modelSpec({ baseUrl: `${server.origin}/v1/`, model: "deepseek-r1" }),
    );
    expect(await failureOf(provider.identify(new AbortController().signal))).toEqual({
      failure: "model",
      status: undefined,
      retryable: false,
      message: `model "deepseek-r1" is not served at ${server.origin}/v1; the server lists: deepseek-ai/DeepSeek-R1-Distill-Qwen-7B`,
    });
  });

  it("falls back to the study's name when the server has no /models", async () => {
    const server = await replay("vllm-plain.sse");
    const provider = createOpenAICompatibleProvider(
      modelSpec({ baseUrl: `${server.origin}/v1`, model: "local" }),
    );
    expect(await provider.identify(new AbortController().signal)).toEqual({
      provider: "openai",
      model: "local",
    });
    expect(server.requests.map(({ method, path }) => `${method} ${path}`)).toEqual(["GET /v1/models"]);
  });

  it("reports a refused key", async () => {
    const server = await replay("llama-cpp-error-401.json", {
      method: "GET",
      path: "/v1/models",
      status: 401,
    });
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: `${server.origin}/v1` }));
    expect(await failureOf(provider.identify(new AbortController().signal))).toEqual({
      failure: "http",
      status: 401,
      retryable: false,
      message: `HTTP 401 from ${server.origin}/v1/models: Invalid API Key`,
    });
  });
});

describe("requests", () => {
  async function fakeServer(options: Parameters<typeof startOpenAICompatibleServer>[0]) {
    const server = await startOpenAICompatibleServer(options);
    cleanups.push(server.close);
    return server;
  }

  it("sends the messages, the model and the mapped params; request params override the study's", async () => {
    const server = await fakeServer({ reply: () => ({ content: "1. Ectopic pregnancy" }) });
    const provider = createOpenAICompatibleProvider(
      modelSpec({ baseUrl: server.url, params: { temperature: 0.6, maxTokens: 8192, seed: 7, think: true } }),
    );
    await provider.complete(
      request({ params: { temperature: 0, topP: 0.9, topK: 40, stop: ["</answer>"] } }),
    );
    const [sent] = server.requests;
    expect(sent.body).toEqual({
      model: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      top_p: 0.9,
      top_k: 40,
      max_tokens: 8192,
      seed: 7,
      stop: ["</answer>"],
    });
    expect([sent.path, sent.headers.accept, sent.headers.authorization]).toEqual([
      "/v1/chat/completions",
      "text/event-stream",
      undefined,
    ]);
  });

  it("asks for a JSON-schema-constrained answer when the request has a schema", async () => {
    const server = await fakeServer({ reply: () => ({ content: '{"diagnoses":["Ectopic pregnancy"]}' }) });
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: server.url }));
    const schema = {
      title: "Differential diagnosis",
      type: "object",
      properties: { diagnoses: { type: "array", items: { type: "string" }, maxItems: 5 } },
      required: ["diagnoses"],
      additionalProperties: false,
    };
    const completion = await provider.complete(request({ responseSchema: schema }));
    expect(server.requests[0].params).toEqual({
      response_format: {
        type: "json_schema",
        json_schema: { name: "Differential_diagnosis", schema, strict: true },
      },
    });
    expect(completion.text).toBe('{"diagnoses":["Ectopic pregnancy"]}');
  });

  it("sends the schema as `json_object` from then on when the server refuses `json_schema` (llama-cpp-python)", async () => {
    const refusal = JSON.parse(
      readFileSync(join(FIXTURES, "llama-cpp-python-0.3-error-500-json-schema.json"), "utf8"),
    ) as unknown;
    const server = await fakeServer({
      reply: (sent) =>
        (sent.params.response_format as { type?: string } | undefined)?.type === "json_schema"
          ? { status: 500, body: refusal }
          : { content: '{"diagnoses":["Ectopic pregnancy"]}' },
    });
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: server.url }));
    const schema = { type: "object", properties: { diagnoses: { type: "array" } } };
    const first = await provider.complete(request({ responseSchema: schema }));
    const second = await provider.complete(request({ responseSchema: schema }));
    await provider.complete(request());
    expect([first.text, second.text]).toEqual([
      '{"diagnoses":["Ectopic pregnancy"]}',
      '{"diagnoses":["Ectopic pregnancy"]}',
    ]);
    expect(server.requests.map((sent) => sent.params.response_format)).toEqual([
      { type: "json_schema", json_schema: { name: "response", schema, strict: true } },
      { type: "json_object", schema },
      { type: "json_object", schema },
      undefined,
    ]);
  });

  it("keeps other server errors on a schema request as they are, without a second try", async () => {
    const server = await fakeServer({
      reply: () => ({ status: 500, body: { error: { message: "out of memory" } } }),
    });
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: server.url }));
    expect(await failureOf(provider.complete(request({ responseSchema: { type: "object" } })))).toEqual({
      failure: "http",
      status: 500,
      retryable: true,
      message: `HTTP 500 from ${server.url}/chat/completions: out of memory`,
    });
    expect(server.requests).toHaveLength(1);
  });

  it("names the schema `response` when it has no title", async () => {
    const server = await fakeServer({ reply: () => ({ content: "{}" }) });
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: server.url }));
    await provider.complete(request({ responseSchema: { type: "object" } }));
    expect(server.requests[0].params).toEqual({
      response_format: {
        type: "json_schema",
        json_schema: { name: "response", schema: { type: "object" }, strict: true },
      },
    });
  });

  it("reads the fake server's stream into the completion", async () => {
    const server = await fakeServer({
      reply: () => ({
        content: "1. Ectopic pregnancy\n2. Ovarian torsion",
        reasoningContent: "Syncope and amenorrhoea.",
        usage: { promptTokens: 40, completionTokens: 30, reasoningTokens: 12 },
        model: "served-name",
      }),
    });
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: server.url }));
    expect(await provider.complete(request())).toEqual({
      text: "1. Ectopic pregnancy\n2. Ovarian torsion",
      reasoning: "Syncope and amenorrhoea.",
      finishReason: "stop",
      tokens: { prompt: 40, completion: 30, reasoning: 12 },
      latencyMs: expect.any(Number),
      model: { provider: "openai", model: "served-name" },
    });
  });
});

describe("API key", () => {
  const KEY = "sk-clinval-test-0123456789abcdef";

  it("sends the key from the named variable as a bearer token", async () => {
    process.env.CLINVAL_OPENAI_TEST_KEY = KEY;
    const server = await startOpenAICompatibleServer({ reply: () => ({ content: "ok" }), models: ["m"] });
    cleanups.push(server.close);
    const provider = createOpenAICompatibleProvider(
      modelSpec({ baseUrl: server.url, model: "m", apiKeyEnv: "CLINVAL_OPENAI_TEST_KEY" }),
    );
    const identity = await provider.identify(new AbortController().signal);
    const completion = await provider.complete(request());
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.stringify([identity, completion])).not.toContain(KEY);
  });

  it("never puts the key in an error, even when the server echoes it", async () => {
    process.env.CLINVAL_OPENAI_TEST_KEY = KEY;
    const server = await startOpenAICompatibleServer({
      reply: (received) => ({
        status: 401,
        body: { error: { message: `Incorrect API key: ${received.headers.authorization}` } },
      }),
    });
    cleanups.push(server.close);
    const provider = createOpenAICompatibleProvider(
      modelSpec({ baseUrl: server.url, apiKeyEnv: "CLINVAL_OPENAI_TEST_KEY" }),
    );
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "http",
      status: 401,
      retryable: false,
      message: `HTTP 401 from ${server.url}/chat/completions: Incorrect API key: Bearer [redacted]`,
    });
  });

  it("calls without an authorization header when the key's variable is not set", async () => {
    const server = await startOpenAICompatibleServer({ reply: () => ({ content: "ok" }) });
    try {
      const provider = createOpenAICompatibleProvider(
        modelSpec({ baseUrl: server.url, apiKeyEnv: "CLINVAL_OPENAI_UNSET_KEY" }),
      );
      expect((await provider.complete(request())).text).toBe("ok");
      expect(server.requests[0].headers.authorization).toBeUndefined();
      await provider.close();
    } finally {
      await server.close();
    }
  });
});

describe("faults", () => {
  async function providerReplying(reply: Parameters<typeof startOpenAICompatibleServer>[0]["reply"]) {
    const server = await startOpenAICompatibleServer({ reply });
    cleanups.push(server.close);
    return { server, provider: createOpenAICompatibleProvider(modelSpec({ baseUrl: server.url })) };
  }

  it.each([
    [500, true],
    [502, true],
    [503, true],
    [429, true],
    [408, true],
    [400, false],
    [404, false],
    [422, false],
  ])("HTTP %i is an http failure (retryable: %s) with the server's message", async (status, retryable) => {
    const { server, provider } = await providerReplying(() => ({ status }));
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "http",
      status,
      retryable,
      message: `HTTP ${status} from ${server.url}/chat/completions: scripted failure ${status}`,
    });
  });

  it("reads how long a rate-limited server asks to wait", async () => {
    const { provider } = await providerReplying(() => ({ status: 429, retryAfter: "7" }));
    const error = await provider.complete(request()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).retryAfterMs).toBe(7000);
  });

  it("keeps a plain-text error body", async () => {
    const { server, provider } = await providerReplying(() => ({
      status: 502,
      body: "upstream connect error",
    }));
    expect((await failureOf(provider.complete(request()))).message).toBe(
      `HTTP 502 from ${server.url}/chat/completions: upstream connect error`,
    );
  });

  it("a refused connection is a retryable connection failure", async () => {
    const { server, provider } = await providerReplying(() => ({ content: "never" }));
    await server.close();
    const failure = await failureOf(provider.complete(request()));
    expect([failure.failure, failure.status, failure.retryable]).toEqual(["connection", undefined, true]);
    expect(failure.message).toContain("ECONNREFUSED");
  });

  it("a base URL that is not http(s) fails without retry", async () => {
    // The study schema refuses such a URL; the backend keeps its own guard for specs built in code.
    const spec = { ...modelSpec({ baseUrl: "http://127.0.0.1/v1" }), baseUrl: "ftp://127.0.0.1/v1" };
    const provider = createOpenAICompatibleProvider(spec);
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "connection",
      status: undefined,
      retryable: false,
      message: "not an http(s) URL: ftp://127.0.0.1/v1/chat/completions",
    });
  });

  it("a connection closed before any answer is a connection failure", async () => {
    const { server, provider } = await providerReplying(() => ({ destroySocket: true }));
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "connection",
      status: undefined,
      retryable: true,
      message: `could not reach ${server.url}/chat/completions: socket hang up (ECONNRESET)`,
    });
  });

  it.each([
    [{ cutMidStream: true as const }, "the response stream ended without data: [DONE] (cut before its end)"],
    [{ emptyChoices: true as const }, "the response has an empty `choices` list"],
    [
      { malformed: true as const },
      'a stream chunk is not a JSON object: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"1. Ect',
    ],
  ])("%j is a retryable malformed answer", async (reply, message) => {
    const { server, provider } = await providerReplying(() => reply);
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "malformed",
      status: undefined,
      retryable: true,
      message: `${message} (from ${server.url}/chat/completions)`,
    });
  });

  it("a 200 JSON body with an empty choices list is malformed", async () => {
    const server = await startLoopbackServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        '{"id":"chatcmpl-1","object":"chat.completion","model":"m","choices":[],"usage":{"prompt_tokens":3}}',
      );
    });
    cleanups.push(server.close);
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: `${server.origin}/v1` }));
    expect((await failureOf(provider.complete(request()))).failure).toBe("malformed");
  });

  it("a connection lost in the middle of the stream is malformed (the stream was cut)", async () => {
    const server = await startLoopbackServer((request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write('data: {"choices":[{"index":0,"delta":{"content":"1."}}]}\n\n', () => {
        setTimeout(() => request.socket.destroy(), 10);
      });
    });
    cleanups.push(server.close);
    const provider = createOpenAICompatibleProvider(modelSpec({ baseUrl: `${server.origin}/v1` }));
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "malformed",
      status: undefined,
      retryable: true,
      message: `response stream cut from ${server.origin}/v1/chat/completions: aborted (ECONNRESET)`,
    });
  });

  it("a signal aborted for a timeout gives a retryable timeout", async () => {
    const { server, provider } = await providerReplying(() => ({ delayMs: 60_000 }));
    const signal = AbortSignal.timeout(50);
    expect(await failureOf(provider.complete(request({ signal })))).toEqual({
      failure: "timeout",
      status: undefined,
      retryable: true,
      message: `timed out waiting for ${server.url}/chat/completions: The operation was aborted due to timeout`,
    });
  });

  it("a signal aborted otherwise (Ctrl-C) gives a cancellation, not retried", async () => {
    const { server, provider } = await providerReplying(() => ({ delayMs: 60_000 }));
    const controller = new AbortController();
    const pending = provider.complete(request({ signal: controller.signal }));
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    expect(await failureOf(pending)).toEqual({
      failure: "cancelled",
      status: undefined,
      retryable: false,
      message: `cancelled waiting for ${server.url}/chat/completions: This operation was aborted`,
    });
  });

  it("an already aborted signal sends nothing", async () => {
    const { server, provider } = await providerReplying(() => ({ content: "never" }));
    const failure = await failureOf(provider.complete(request({ signal: AbortSignal.abort() })));
    expect([failure.failure, server.requests.length]).toEqual(["cancelled", 0]);
  });

  it("close() cancels the requests in flight and refuses new ones", async () => {
    const { server, provider } = await providerReplying(() => ({ delayMs: 60_000 }));
    const pending = provider.complete(request());
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await provider.close();
    expect((await failureOf(pending)).failure).toBe("cancelled");
    expect(await failureOf(provider.complete(request()))).toEqual({
      failure: "cancelled",
      status: undefined,
      retryable: false,
      message: "the provider was closed",
    });
  });
});
