import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startLoopbackServer } from "../../test/support/loopback-server.ts";
import { InputError } from "../core/errors.ts";
import { ProviderError } from "../providers/provider.ts";
import {
  FakeEmbedder,
  type FakeEmbeddingServer,
  startFakeEmbeddingServer,
} from "./classifier.test-support.ts";
import { createEmbedder, embedAll, parseEmbedder } from "./embedders.ts";
import { embeddingKey, MemoryEmbeddingCache } from "./embedding-cache.ts";

const folder = mkdtempSync(join(tmpdir(), "clinval-embedders-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const servers: FakeEmbeddingServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()?.close();
  delete process.env.CLINVAL_EMBED_TEST_KEY;
});

async function server(options: Parameters<typeof startFakeEmbeddingServer>[0] = {}) {
  const started = await startFakeEmbeddingServer(options);
  servers.push(started);
  return started;
}

const signal = new AbortController().signal;

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("parseEmbedder", () => {
  it("reads ollama:MODEL and openai:MODEL with default or given base URLs", () => {
    expect(parseEmbedder("ollama:nomic-embed-text:latest")).toEqual({
      kind: "ollama",
      model: "nomic-embed-text:latest",
      baseUrl: "http://127.0.0.1:11434",
    });
    expect(
      parseEmbedder("openai:bge-m3", { baseUrl: "http://10.0.0.5:8080/v1/", apiKeyEnv: "EMBED_KEY" }),
    ).toEqual({
      kind: "openai",
      model: "bge-m3",
      baseUrl: "http://10.0.0.5:8080/v1",
      apiKeyEnv: "EMBED_KEY",
    });
  });

  it("takes any other value as a GGUF path, which must exist", () => {
    const path = join(folder, "model.gguf");
    writeFileSync(path, "GGUF");
    expect(parseEmbedder(path)).toEqual({ kind: "gguf", path });
    const missing = thrown(() => parseEmbedder(join(folder, "absent.gguf"))) as InputError;
    expect(missing).toBeInstanceOf(InputError);
    expect(missing.describe()).toMatch(/^--embedder: ".*absent\.gguf" is neither a GGUF file \(not found: /);
  });

  it("refuses remote model URIs and non-http base URLs", () => {
    expect((thrown(() => parseEmbedder("hf:org/model-GGUF")) as InputError).describe()).toBe(
      '--embedder: "hf:org/model-GGUF": download the GGUF file first and give its path (or use ollama:MODEL / openai:MODEL)',
    );
    expect(
      (thrown(() => parseEmbedder("ollama:x", { baseUrl: "ftp://host" })) as InputError).describe(),
    ).toBe('--base-url: "ftp://host" is not an http(s) URL');
  });
});

describe("Ollama embedder", () => {
  it("names the weights by the digest /api/tags lists and posts batches to /api/embed", async () => {
    const fake = await server({ digest: "abc123" });
    const embedder = createEmbedder(parseEmbedder("ollama:fake-embed", { baseUrl: fake.origin }));
    expect(await embedder.identify(signal)).toEqual({ name: "ollama:fake-embed@abc123", digest: "abc123" });
    const vectors = await embedder.embed(["no acute abnormality", "free air"], signal);
    expect(vectors).toEqual(await new FakeEmbedder().embed(["no acute abnormality", "free air"]));
    expect(fake.requests.map(({ method, path, body }) => ({ method, path, body }))).toEqual([
      { method: "GET", path: "/api/tags", body: {} },
      {
        method: "POST",
        path: "/api/embed",
        body: { model: "fake-embed", input: ["no acute abnormality", "free air"] },
      },
    ]);
    await embedder.close();
  });

  it("reports a server error as an http ProviderError with the server's message", async () => {
    const fake = await server({ status: 404 });
    const embedder = createEmbedder(parseEmbedder("ollama:fake-embed", { baseUrl: fake.origin }));
    const error = await embedder.embed(["x"], signal).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(ProviderError);
    expect({ failure: (error as ProviderError).failure, status: (error as ProviderError).status }).toEqual({
      failure: "http",
      status: 404,
    });
    expect((error as ProviderError).message).toBe(
      `HTTP 404 from ${fake.origin}/api/embed: the embedding model is not loaded`,
    );
    await embedder.close();
  });
});

describe("embedder requests", () => {
  it("time out as a timeout failure when the server does not answer", async () => {
    const silent = await startLoopbackServer(async (_request, response, _body, loopback) => {
      await loopback.wait(10_000, response);
      response.end();
    });
    try {
      const embedder = createEmbedder(parseEmbedder("openai:m", { baseUrl: silent.origin }), {
        timeoutMs: 50,
      });
      const error = await embedder.embed(["x"], signal).catch((rejection: unknown) => rejection);
      expect(error).toBeInstanceOf(ProviderError);
      expect({
        failure: (error as ProviderError).failure,
        message: (error as ProviderError).message,
      }).toEqual({
        failure: "timeout",
        message: `timed out waiting for ${silent.origin}/embeddings: no answer within 50 ms`,
      });
      await embedder.close();
    } finally {
      await silent.close();
    }
  });
});

describe("OpenAI-compatible embedder", () => {
  it("sends the API key from the named variable and orders the vectors by index", async () => {
    process.env.CLINVAL_EMBED_TEST_KEY = "secret-key";
    const fake = await server({ shuffleOpenAi: true });
    const embedder = createEmbedder(
      parseEmbedder("openai:fake-embed", {
        baseUrl: `${fake.origin}/v1`,
        apiKeyEnv: "CLINVAL_EMBED_TEST_KEY",
      }),
    );
    expect(await embedder.identify(signal)).toEqual({
      name: `openai:fake-embed@${fake.origin}/v1`,
      digest: null,
    });
    const texts = ["pulmonary embolism", "normal study", "renal cyst"];
    expect(await embedder.embed(texts, signal)).toEqual(await new FakeEmbedder().embed(texts));
    expect(
      fake.requests.map(({ path, headers, body }) => ({ path, authorization: headers.authorization, body })),
    ).toEqual([
      {
        path: "/v1/embeddings",
        authorization: "Bearer secret-key",
        body: { model: "fake-embed", input: texts, encoding_format: "float" },
      },
    ]);
    await embedder.close();
  });

  it("starts without a key when the API-key variable is not set", () => {
    expect(() =>
      createEmbedder(parseEmbedder("openai:x", { apiKeyEnv: "CLINVAL_EMBED_UNSET_KEY" })),
    ).not.toThrow();
  });
});

describe("embedAll", () => {
  it("embeds each distinct text once, in batches, and reuses the cache on the next call", async () => {
    const embedder = new FakeEmbedder(2);
    const cache = new MemoryEmbeddingCache();
    const texts = ["a b", "c d", "a b", "e f", "g h"];
    const progress: number[][] = [];
    const vectors = await embedAll(embedder, texts, {
      cache,
      onProgress: (done, total, fromCache) => progress.push([done, total, fromCache]),
    });
    expect(vectors).toEqual(await new FakeEmbedder().embed(texts));
    expect(embedder.calls).toEqual([
      ["a b", "c d"],
      ["e f", "g h"],
    ]);
    expect(progress).toEqual([
      [0, 4, 0],
      [2, 4, 0],
      [4, 4, 0],
    ]);
    expect([...cache.vectors.keys()].sort()).toEqual(
      ["a b", "c d", "e f", "g h"].map((text) => embeddingKey("fake:embed", text)).sort(),
    );

    const again = new FakeEmbedder(2);
    expect(await embedAll(again, [...texts, "new text"], { cache })).toEqual(
      await new FakeEmbedder().embed([...texts, "new text"]),
    );
    expect(again.calls).toEqual([["new text"]]);
  });

  it("keys the cache by the embedder's identity as well as the text", () => {
    expect(embeddingKey("ollama:a@1", "text")).not.toBe(embeddingKey("ollama:a@2", "text"));
    expect(embeddingKey("ollama:a@1", "text")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses vectors of different lengths", async () => {
    const uneven = new FakeEmbedder(1);
    uneven.embed = async (texts) => texts.map((text) => (text === "short" ? [1] : [1, 2]));
    const error = await embedAll(uneven, ["long", "short"]).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toBe(
      "embeddings of different lengths (2 and 1) from ollama:fake-embed at http://127.0.0.1:9",
    );
  });
});
