import { createHash } from "node:crypto";

/**
 * Embedding vectors kept between runs, so each (embedder, text) pair is embedded once.
 * Keys come from `embeddingKey`.
 */
export interface EmbeddingCache {
  /** The vectors found, by key; keys not found are absent. */
  get(keys: readonly string[]): Promise<Map<string, number[]>>;
  put(entries: ReadonlyMap<string, number[]>): Promise<void>;
}

/** sha256 of the embedder's identity and the text; the identity names the weights (see `Embedder.identity`). */
export function embeddingKey(embedderIdentity: string, text: string): string {
  return createHash("sha256").update(embedderIdentity).update("\u0000").update(text).digest("hex");
}

/** An in-memory cache, for tests and for training without a store. */
export class MemoryEmbeddingCache implements EmbeddingCache {
  readonly vectors = new Map<string, number[]>();

  async get(keys: readonly string[]): Promise<Map<string, number[]>> {
    const found = new Map<string, number[]>();
    for (const key of keys) {
      const vector = this.vectors.get(key);
      if (vector) found.set(key, [...vector]);
    }
    return found;
  }

  async put(entries: ReadonlyMap<string, number[]>): Promise<void> {
    for (const [key, vector] of entries) this.vectors.set(key, [...vector]);
  }
}
