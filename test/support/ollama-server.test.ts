import { afterEach, describe, expect, it } from "vitest";
import { type OllamaServer, startOllamaServer } from "./ollama-server.ts";

const servers: OllamaServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

const MESSAGES = [{ role: "user" as const, content: "Which diagnosis?" }];

describe("startOllamaServer", () => {
  it("streams JSON lines: thinking, content, then the done line with counts", async () => {
    const server = await startOllamaServer({
      reply: () => ({
        content: "ok",
        thinking: "hmm",
        doneReason: "length",
        promptEvalCount: 9,
        evalCount: 4,
      }),
    });
    servers.push(server);
    const response = await fetch(`${server.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({
        model: "deepseek-r1:8b",
        messages: MESSAGES,
        think: true,
        options: { seed: 1 },
      }),
    });
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const common = { model: "deepseek-r1:8b", created_at: "2025-06-02T10:15:01.102938Z" };
    expect([response.headers.get("content-type"), lines]).toEqual([
      "application/x-ndjson",
      [
        { ...common, message: { role: "assistant", content: "", thinking: "hmm" }, done: false },
        { ...common, message: { role: "assistant", content: "ok" }, done: false },
        {
          ...common,
          message: { role: "assistant", content: "" },
          done_reason: "length",
          done: true,
          total_duration: 402118750,
          load_duration: 12830125,
          prompt_eval_count: 9,
          prompt_eval_duration: 61224000,
          eval_count: 4,
          eval_duration: 326940042,
        },
      ],
    ]);
    const [recorded] = server.requests;
    expect([recorded.model, recorded.messages, recorded.think, recorded.options, recorded.stream]).toEqual([
      "deepseek-r1:8b",
      MESSAGES,
      true,
      { seed: 1 },
      true,
    ]);
  });

  it("shows and lists its models, 404 for others", async () => {
    const server = await startOllamaServer({
      reply: () => ({ content: "ok" }),
      models: [{ name: "llama3.1:latest", digest: "d1" }],
    });
    servers.push(server);
    const shown = await fetch(`${server.url}/api/show`, {
      method: "POST",
      body: JSON.stringify({ model: "llama3.1" }),
    });
    const missing = await fetch(`${server.url}/api/show`, {
      method: "POST",
      body: JSON.stringify({ model: "qwen3" }),
    });
    const tags = (await (await fetch(`${server.url}/api/tags`)).json()) as {
      models: Array<{ digest: string }>;
    };
    expect([
      shown.status,
      missing.status,
      await missing.json(),
      tags.models.map((model) => model.digest),
    ]).toEqual([200, 404, { error: 'model "qwen3" not found, try pulling it first' }, ["d1"]]);
    await shown.text();
  });
});
