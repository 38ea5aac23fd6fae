import { afterEach, describe, expect, it } from "vitest";
import { modelSpecSchema } from "../../src/core/study-schema.ts";
import { createOpenAICompatibleProvider } from "../../src/providers/openai-compatible/openai-compatible-provider.ts";
import { type OpenAICompatibleServer, startOpenAICompatibleServer } from "./openai-compatible-server.ts";

const servers: OpenAICompatibleServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(options: Parameters<typeof startOpenAICompatibleServer>[0]) {
  const server = await startOpenAICompatibleServer(options);
  servers.push(server);
  return server;
}

const MESSAGES = [{ role: "user" as const, content: "Which diagnosis?" }];

describe("startOpenAICompatibleServer", () => {
  it("records each chat request", async () => {
    const server = await start({ reply: () => ({ content: "ok" }) });
    const response = await fetch(`${server.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-trace": "1" },
      body: JSON.stringify({
        model: "m",
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
        seed: 3,
      }),
    });
    await response.text();
    const [recorded] = server.requests;
    expect({ ...recorded, headers: recorded.headers["x-trace"] }).toEqual({
      method: "POST",
      path: "/v1/chat/completions",
      headers: "1",
      model: "m",
      messages: MESSAGES,
      params: { seed: 3 },
      stream: true,
      body: {
        model: "m",
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
        seed: 3,
      },
    });
  });

  it("streams in vLLM's shape: role chunk, deltas, finish chunk, usage chunk, [DONE]", async () => {
    const server = await start({
      reply: () => ({
        content: "abcd",
        reasoningContent: "r",
        usage: { promptTokens: 5, completionTokens: 2 },
      }),
    });
    const response = await fetch(`${server.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({
        model: "m",
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    const events = (await response.text())
      .split("\n\n")
      .filter(Boolean)
      .map((event) => event.slice("data: ".length));
    const chunk = (choices: unknown[], extra = {}) =>
      JSON.stringify({
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 1748856901,
        model: "m",
        choices,
        ...extra,
      });
    expect([response.headers.get("content-type"), events]).toEqual([
      "text/event-stream; charset=utf-8",
      [
        chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: { reasoning_content: "r" }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: "ab" }, logprobs: null, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: "cd" }, logprobs: null, finish_reason: null }]),
        chunk([
          { index: 0, delta: { content: "" }, logprobs: null, finish_reason: "stop", stop_reason: null },
        ]),
        chunk([], { usage: { prompt_tokens: 5, total_tokens: 7, completion_tokens: 2 } }),
        "[DONE]",
      ],
    ]);
  });

  it("answers a non-streamed request with one chat.completion object", async () => {
    const server = await start({
      reply: () => ({ content: "ok", usage: { promptTokens: 1, completionTokens: 1 } }),
    });
    const response = await fetch(`${server.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "m", messages: MESSAGES }),
    });
    expect(await response.json()).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1748856901,
      model: "m",
      choices: [
        {
          index: 0,
          message: { role: "assistant", reasoning_content: null, content: "ok" },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 1, total_tokens: 2, completion_tokens: 1 },
    });
  });

  it("lists the given models, and answers 404 for /models without them", async () => {
    const listing = await start({ reply: () => ({ content: "ok" }), models: ["a", "b"] });
    const bare = await start({ reply: () => ({ content: "ok" }) });
    const listed = (await (await fetch(`${listing.url}/models`)).json()) as { data: Array<{ id: string }> };
    const missing = await fetch(`${bare.url}/models`);
    expect([listed.data.map((model) => model.id), missing.status, await missing.json()]).toEqual([
      ["a", "b"],
      404,
      { detail: "Not Found" },
    ]);
  });

  it("can leave requests unrecorded, for long benchmarks", async () => {
    const server = await start({ reply: () => ({ content: "ok" }), record: false });
    const provider = createOpenAICompatibleProvider(
      modelSpecSchema.parse({ id: "m", provider: "openai", model: "m", baseUrl: server.url }),
    );
    expect(
      (await provider.complete({ messages: MESSAGES, params: {}, signal: new AbortController().signal }))
        .text,
    ).toBe("ok");
    expect(server.requests).toEqual([]);
  });

  it("closes while a reply is still hanging", async () => {
    const server = await startOpenAICompatibleServer({ reply: () => ({ delayMs: 600_000 }) });
    const pending = fetch(`${server.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "m", messages: MESSAGES, stream: true }),
    }).then(
      () => "answered",
      () => "connection closed",
    );
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await server.close();
    expect(await pending).toBe("connection closed");
  });
});
