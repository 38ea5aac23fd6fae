import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { InputError } from "../core/errors.ts";
import { resolveApiKey } from "../providers/api-key.ts";
import {
  authorizationHeaders,
  HttpConnections,
  type HttpRequest,
  isRecord,
  malformed,
  parseJson,
  preview,
  readText,
} from "../providers/http-stream.ts";
import { DEFAULT_OLLAMA_BASE_URL, digestOf } from "../providers/ollama/ollama-provider.ts";
import { DEFAULT_OPENAI_BASE_URL } from "../providers/openai-compatible/openai-compatible-provider.ts";
import { ProviderError } from "../providers/provider.ts";
import { type EmbeddingCache, embeddingKey } from "./embedding-cache.ts";

/** Where embeddings come from: a local GGUF file, an Ollama server, or an OpenAI-compatible server. */
export type EmbedderSpec =
  | { kind: "gguf"; path: string }
  | { kind: "ollama"; model: string; baseUrl: string; apiKeyEnv?: string }
  | { kind: "openai"; model: string; baseUrl: string; apiKeyEnv?: string };

export interface EmbedderIdentity {
  /**
   * Names the weights that make the vectors, and is part of every cache key: `gguf:sha256:DIGEST`,
   * `ollama:MODEL@DIGEST` (`@URL` when the server lists no digest), `openai:MODEL@URL`.
   */
  name: string;
  /** Content digest of the weights when known: the GGUF file's sha256, Ollama's manifest digest. */
  digest: string | null;
}

/** Turns texts into vectors, one per text, in order. */
export interface Embedder {
  readonly spec: EmbedderSpec;
  /** Texts per call that suit the backend. */
  readonly batchSize: number;
  identify(signal: AbortSignal): Promise<EmbedderIdentity>;
  embed(texts: readonly string[], signal: AbortSignal): Promise<number[][]>;
  close(): Promise<void>;
}

export interface EmbedderOptions {
  /** Server base URL (Ollama default http://127.0.0.1:11434, OpenAI-compatible default http://127.0.0.1:8000/v1). */
  baseUrl?: string;
  /** Name of the environment variable holding the server's API key. */
  apiKeyEnv?: string;
}

/**
 * Reads an embedder as written on the command line: `ollama:MODEL`, `openai:MODEL`, or the path of a
 * local GGUF file. Bad values are InputErrors on `field` (default `--embedder`).
 */
export function parseEmbedder(
  model: string,
  options: EmbedderOptions = {},
  field = "--embedder",
): EmbedderSpec {
  const server = /^(ollama|openai):(.+)$/.exec(model.trim());
  if (server) {
    const [, kind, name] = server;
    const baseUrl = (
      options.baseUrl ?? (kind === "ollama" ? DEFAULT_OLLAMA_BASE_URL : DEFAULT_OPENAI_BASE_URL)
    )
      .trim()
      .replace(/\/+$/, "");
    if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
      throw new InputError(`"${baseUrl}" is not an http(s) URL`, { field: "--base-url" });
    }
    const spec = { model: name, baseUrl, ...(options.apiKeyEnv ? { apiKeyEnv: options.apiKeyEnv } : {}) };
    return kind === "ollama" ? { kind: "ollama", ...spec } : { kind: "openai", ...spec };
  }
  if (/^(hf:|huggingface:|https?:)/i.test(model)) {
    throw new InputError(
      `"${model}": download the GGUF file first and give its path (or use ollama:MODEL / openai:MODEL)`,
      { field },
    );
  }
  const path = resolve(model);
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) {
    throw new InputError(
      `"${model}" is neither a GGUF file (not found: ${path}) nor ollama:MODEL / openai:MODEL`,
      {
        field,
      },
    );
  }
  return { kind: "gguf", path };
}

/** A short human description, e.g. `ollama:nomic-embed-text at http://127.0.0.1:11434`. */
export function describeEmbedder(spec: EmbedderSpec): string {
  return spec.kind === "gguf" ? `GGUF ${spec.path}` : `${spec.kind}:${spec.model} at ${spec.baseUrl}`;
}

export interface CreateEmbedderOptions {
  /** Per HTTP request; default 300 s. */
  timeoutMs?: number;
}

export function createEmbedder(spec: EmbedderSpec, options: CreateEmbedderOptions = {}): Embedder {
  const timeoutMs = options.timeoutMs ?? 300_000;
  return spec.kind === "gguf" ? new GgufEmbedder(spec) : new HttpEmbedder(spec, timeoutMs);
}

/** node-llama-cpp's embedding context via `embedTexts`, which loads the model for each call: big batches. */
class GgufEmbedder implements Embedder {
  readonly batchSize = 256;
  private identity: Promise<EmbedderIdentity> | undefined;

  constructor(readonly spec: Extract<EmbedderSpec, { kind: "gguf" }>) {}

  identify(): Promise<EmbedderIdentity> {
    this.identity ??= sha256File(this.spec.path).then((digest) => ({
      name: `gguf:sha256:${digest}`,
      digest,
    }));
    return this.identity;
  }

  async embed(texts: readonly string[], signal: AbortSignal): Promise<number[][]> {
    if (signal.aborted) throw new ProviderError("cancelled", "embedding cancelled");
    const { embedTexts } = await import("../providers/llama-cpp/llama-cpp-provider.ts");
    try {
      return await embedTexts(this.spec.path, [...texts]);
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ProviderError("model", `cannot embed with ${this.spec.path}: ${message}`, undefined, false);
    }
  }

  async close(): Promise<void> {}
}

/** Ollama `POST /api/embed` or OpenAI-compatible `POST {baseUrl}/embeddings`, through the shared node:http code. */
class HttpEmbedder implements Embedder {
  readonly batchSize = 32;
  private readonly connections = new HttpConnections();
  private readonly headers: Record<string, string>;
  private readonly apiKey: string | undefined;
  private identified: Promise<EmbedderIdentity> | undefined;

  constructor(
    readonly spec: Extract<EmbedderSpec, { kind: "ollama" | "openai" }>,
    private readonly timeoutMs: number,
  ) {
    this.apiKey = resolveApiKey({ apiKeyEnv: spec.apiKeyEnv });
    this.headers = authorizationHeaders(this.apiKey);
  }

  identify(signal: AbortSignal): Promise<EmbedderIdentity> {
    const { spec } = this;
    if (spec.kind === "openai")
      return Promise.resolve({ name: `openai:${spec.model}@${spec.baseUrl}`, digest: null });
    if (!this.identified) {
      const identified = this.send("GET", `${spec.baseUrl}/api/tags`, undefined, signal).then((tags) => {
        const digest = digestOf(tags, spec.model) ?? null;
        return { name: `ollama:${spec.model}@${digest ?? spec.baseUrl}`, digest };
      });
      identified.catch(() => {
        if (this.identified === identified) this.identified = undefined;
      });
      this.identified = identified;
    }
    return this.identified;
  }

  async embed(texts: readonly string[], signal: AbortSignal): Promise<number[][]> {
    const { spec } = this;
    if (spec.kind === "ollama") {
      const url = `${spec.baseUrl}/api/embed`;
      const body = await this.send("POST", url, { model: spec.model, input: texts }, signal);
      const vectors = isRecord(body) ? body.embeddings : undefined;
      if (!Array.isArray(vectors)) throw malformed("the answer has no `embeddings` list", { url });
      return checkVectors(vectors, texts.length, url);
    }
    const url = `${spec.baseUrl}/embeddings`;
    const body = await this.send(
      "POST",
      url,
      { model: spec.model, input: texts, encoding_format: "float" },
      signal,
    );
    const data = isRecord(body) ? body.data : undefined;
    if (!Array.isArray(data)) throw malformed("the answer has no `data` list", { url });
    const ordered: unknown[] = new Array(data.length);
    data.forEach((item, position) => {
      const index = isRecord(item) && typeof item.index === "number" ? item.index : position;
      ordered[index] = isRecord(item) ? item.embedding : undefined;
    });
    return checkVectors(ordered, texts.length, url);
  }

  async close(): Promise<void> {
    this.connections.close();
  }

  private async send(
    method: "GET" | "POST",
    url: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<unknown> {
    // A timer per request, linked by hand: `AbortSignal.any` piles up listeners on a long-lived signal in Node 20.
    const limited = new AbortController();
    const forward = () => limited.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener("abort", forward, { once: true });
    const timer = setTimeout(() => {
      const reason = new Error(`no answer within ${this.timeoutMs} ms`);
      reason.name = "TimeoutError";
      limited.abort(reason);
    }, this.timeoutMs);
    try {
      return await this.connections.run(limited.signal, async (requestSignal) => {
        const request: HttpRequest = {
          method,
          url,
          body,
          headers: this.headers,
          secret: this.apiKey,
          signal: requestSignal,
        };
        const response = await this.connections.sendExpectingSuccess(request);
        const text = await readText(response, request);
        const parsed = parseJson(text);
        if (parsed === undefined) throw malformed(`the answer is not JSON: ${preview(text)}`, request);
        return parsed;
      });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", forward);
    }
  }
}

function checkVectors(vectors: unknown[], expected: number, url: string): number[][] {
  if (vectors.length !== expected) {
    throw malformed(`${vectors.length} embeddings for ${expected} texts`, { url });
  }
  return vectors.map((vector, index) => {
    if (
      !Array.isArray(vector) ||
      vector.length === 0 ||
      !vector.every((value) => typeof value === "number" && Number.isFinite(value))
    ) {
      throw malformed(`embedding ${index} is not a list of finite numbers`, { url });
    }
    return vector as number[];
  });
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    await pipeline(createReadStream(path), hash);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ProviderError("model", `cannot read the GGUF file ${path}: ${message}`, undefined, false);
  }
  return hash.digest("hex");
}

export interface EmbedAllOptions {
  cache?: EmbeddingCache;
  signal?: AbortSignal;
  /** After each batch: texts embedded or found in the cache so far, of the distinct texts. */
  onProgress?: (done: number, total: number, fromCache: number) => void;
}

/**
 * The vector of every text, in order. Each distinct text is embedded once; texts already in the cache are
 * not embedded again, and new vectors go to the cache batch by batch (so an interrupted run keeps its
 * work). All vectors must have the same length.
 */
export async function embedAll(
  embedder: Embedder,
  texts: readonly string[],
  options: EmbedAllOptions = {},
): Promise<number[][]> {
  const signal = options.signal ?? new AbortController().signal;
  const { name } = await embedder.identify(signal);
  const keys = new Map<string, string>();
  for (const text of texts) if (!keys.has(text)) keys.set(text, embeddingKey(name, text));
  const vectors = options.cache ? await options.cache.get([...keys.values()]) : new Map<string, number[]>();
  const fromCache = vectors.size;
  const missing = [...keys].filter(([, key]) => !vectors.has(key));
  options.onProgress?.(keys.size - missing.length, keys.size, fromCache);
  for (let start = 0; start < missing.length; start += embedder.batchSize) {
    const batch = missing.slice(start, start + embedder.batchSize);
    const embedded = await embedder.embed(
      batch.map(([text]) => text),
      signal,
    );
    if (embedded.length !== batch.length) {
      throw new ProviderError("malformed", `${embedded.length} embeddings for ${batch.length} texts`);
    }
    const entries = new Map(batch.map(([, key], index) => [key, embedded[index]]));
    for (const [key, vector] of entries) vectors.set(key, vector);
    await options.cache?.put(entries);
    options.onProgress?.(keys.size - missing.length + start + batch.length, keys.size, fromCache);
  }
  const result = texts.map((text) => vectors.get(keys.get(text) as string) as number[]);
  const dimensions = result[0]?.length;
  const odd = result.findIndex((vector) => vector.length !== dimensions);
  if (odd !== -1) {
    throw new ProviderError(
      "malformed",
      `embeddings of different lengths (${dimensions} and ${result[odd].length}) from ${describeEmbedder(embedder.spec)}`,
      undefined,
      false,
    );
  }
  return result;
}
