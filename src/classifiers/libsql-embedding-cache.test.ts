import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createClient } from "@libsql/client";
import { afterAll, describe, expect, it } from "vitest";
import { EMBEDDING_CACHE_MIGRATION, MIGRATIONS, migrate } from "../store/migrations.ts";
import { openStore } from "../store/store.ts";
import { LibsqlEmbeddingCache, openEmbeddingCache } from "./libsql-embedding-cache.ts";

const folder = mkdtempSync(join(tmpdir(), "clinval-embedding-cache-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("LibsqlEmbeddingCache", () => {
  it("gives back exactly the numbers put in, and nothing for unknown keys", async () => {
    const { cache, close } = await openEmbeddingCache(join(folder, "exact", "clinval.db"), "gguf:sha256:abc");
    const vectors = new Map([
      ["k1", [1 / 3, -2.5e-300, 123456789.12345679, 0.1 + 0.2]],
      ["k2", [Math.fround(0.7), -1]],
    ]);
    await cache.put(vectors);
    expect(await cache.get(["k2", "missing", "k1"])).toEqual(
      new Map([
        ["k1", vectors.get("k1")],
        ["k2", vectors.get("k2")],
      ]),
    );
    close();
  });

  it("keeps the first vector written for a key, records the embedder, and survives reopening", async () => {
    const path = join(folder, "reopen", "clinval.db");
    const first = await openEmbeddingCache(path, "ollama:m@1");
    await first.cache.put(new Map([["k", [1, 2]]]));
    await first.cache.put(new Map([["k", [3, 4]]]));
    first.close();
    const second = await openEmbeddingCache(path, "ollama:m@1");
    expect(await second.cache.get(["k"])).toEqual(new Map([["k", [1, 2]]]));
    second.close();

    const client = createClient({ url: pathToFileURL(path).href });
    const rows = await client.execute("SELECT key, embedder, dimensions FROM embeddings");
    expect(rows.rows.map((row) => ({ ...row }))).toEqual([
      { key: "k", embedder: "ollama:m@1", dimensions: 2 },
    ]);
    client.close();
  });

  it("reads and writes more keys than one statement takes", async () => {
    const { cache, close } = await openEmbeddingCache(join(folder, "many", "clinval.db"), "e");
    const entries = new Map(
      Array.from({ length: 1_234 }, (_, index) => [`key-${index}`, [index, index / 7]]),
    );
    await cache.put(entries);
    expect(await cache.get([...entries.keys()])).toEqual(entries);
    close();
  });

  it("shares the store file: the run store opens it, and the migration can join the store's list", async () => {
    const path = join(folder, "shared", "clinval.db");
    const { cache, close } = await openEmbeddingCache(path, "e");
    await cache.put(new Map([["k", [0.5]]]));
    close();
    const store = await openStore(path);
    expect(await store.listRuns()).toEqual([]);
    await store.close();

    const client = createClient({ url: pathToFileURL(path).href });
    expect(await migrate(client, [...MIGRATIONS, EMBEDDING_CACHE_MIGRATION])).toBe(
      Math.max(...MIGRATIONS.map((migration) => migration.version)),
    );
    expect(await (await LibsqlEmbeddingCache.create(client, "e")).get(["k"])).toEqual(
      new Map([["k", [0.5]]]),
    );
    client.close();
  });
});
