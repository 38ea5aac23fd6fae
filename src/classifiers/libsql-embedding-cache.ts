import type { Client, InStatement } from "@libsql/client";
import { ClinvalError } from "../core/errors.ts";
import { EMBEDDING_CACHE_MIGRATION } from "../store/migrations.ts";
import { openDatabase } from "../store/store.ts";
import type { EmbeddingCache } from "./embedding-cache.ts";

const KEYS_PER_QUERY = 500;
const ROWS_PER_STATEMENT = 1_000;

/**
 * Embedding vectors in the clinval libSQL store, table `embeddings`: key (see `embeddingKey`), the
 * embedder's identity, the vector as little-endian float64 bytes (exactly the numbers the embedder
 * gave, so training from the cache gives the same weights as training without it).
 */
export class LibsqlEmbeddingCache implements EmbeddingCache {
  private constructor(
    private readonly client: Client,
    private readonly embedder: string,
  ) {}

  /** Creates the table if needed. `embedder` is the identity recorded with the vectors written. */
  static async create(client: Client, embedder: string): Promise<LibsqlEmbeddingCache> {
    await client.batch(EMBEDDING_CACHE_MIGRATION.statements, "write");
    return new LibsqlEmbeddingCache(client, embedder);
  }

  async get(keys: readonly string[]): Promise<Map<string, number[]>> {
    const found = new Map<string, number[]>();
    for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
      const chunk = keys.slice(start, start + KEYS_PER_QUERY);
      const result = await this.client.execute({
        sql: `SELECT key, vector FROM embeddings WHERE key IN (${chunk.map(() => "?").join(", ")})`,
        args: [...chunk],
      });
      for (const row of result.rows) found.set(String(row.key), decodeVector(row.vector));
    }
    return found;
  }

  async put(entries: ReadonlyMap<string, number[]>): Promise<void> {
    const rows = [...entries];
    const now = new Date().toISOString();
    const statements: InStatement[] = [];
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
      statements.push({
        sql: `INSERT INTO embeddings (key, embedder, dimensions, vector, created_at) VALUES ${chunk
          .map(() => "(?, ?, ?, ?, ?)")
          .join(", ")} ON CONFLICT (key) DO NOTHING`,
        args: chunk.flatMap(([key, vector]) => [
          key,
          this.embedder,
          vector.length,
          encodeVector(vector),
          now,
        ]),
      });
    }
    if (statements.length > 0) await this.client.batch(statements, "write");
  }
}

function encodeVector(vector: readonly number[]): Uint8Array {
  const values = Float64Array.from(vector);
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function decodeVector(value: unknown): number[] {
  if (!(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value)) {
    throw new ClinvalError("store-corrupt", "an embeddings row holds no vector bytes");
  }
  const bytes =
    value instanceof ArrayBuffer
      ? new Uint8Array(value)
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  // Copied so the float64 view is aligned whatever the driver's buffer offset.
  return Array.from(new Float64Array(bytes.slice().buffer));
}

/**
 * Opens the store file at `path` (creating it and bringing the store's own schema up to date, as
 * `openStore` does) with an embedding cache on it. Close the returned client when done.
 */
export async function openEmbeddingCache(
  path: string,
  embedder: string,
): Promise<{ cache: LibsqlEmbeddingCache; close: () => void }> {
  const { client } = await openDatabase(path);
  try {
    return { cache: await LibsqlEmbeddingCache.create(client, embedder), close: () => client.close() };
  } catch (error) {
    client.close();
    throw error;
  }
}
