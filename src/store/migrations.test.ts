import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Client, createClient } from "@libsql/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClinvalError } from "../core/errors.ts";
import { MIGRATIONS, type Migration, migrate } from "./migrations.ts";

let folder: string;
const clients: Client[] = [];

function connect(): Client {
  const client = createClient({ url: pathToFileURL(join(folder, "clinval.db")).href, timeout: 10_000 });
  clients.push(client);
  return client;
}

async function versions(client: Client): Promise<number[]> {
  const result = await client.execute("SELECT version FROM migrations ORDER BY version");
  return result.rows.map((row) => Number(row.version));
}

/** The tests' own history: the first store migration, then the ones they add. */
const FIRST = MIGRATIONS.slice(0, 1);

const addNotes: Migration = {
  version: 2,
  name: "run notes",
  statements: ["ALTER TABLE runs ADD COLUMN notes TEXT"],
};

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), "clinval-migrations-"));
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  rmSync(folder, { recursive: true, force: true });
});

describe("migrate", () => {
  it("builds the schema on a fresh database", async () => {
    const client = connect();
    expect(await migrate(client, FIRST)).toBe(1);
    expect(await versions(client)).toEqual([1]);
    const columns = await client.execute("SELECT name FROM pragma_table_info('results') ORDER BY cid");
    expect(columns.rows.map((row) => row.name)).toEqual([
      "run_id",
      "model_id",
      "case_id",
      "sample",
      "key",
      "completion",
      "error",
      "cached",
      "created_at",
    ]);
  });

  it("does nothing on a database that is up to date", async () => {
    const client = connect();
    await migrate(client, FIRST);
    await client.execute(
      "INSERT INTO responses VALUES ('k', 'openai', 'm', '{}', '2025-01-01T00:00:00.000Z')",
    );
    expect(await migrate(client, FIRST)).toBe(1);
    expect(await versions(client)).toEqual([1]);
    expect((await client.execute("SELECT key FROM responses")).rows.map((row) => row.key)).toEqual(["k"]);
  });

  it("applies only the new migrations to an existing database and keeps its data", async () => {
    const client = connect();
    await migrate(client, FIRST);
    await client.execute(
      "INSERT INTO runs (id, study_name, study, study_hash, suite_id, suite_source, suite_sha256, suite_cases_sha256, started_at) VALUES ('run-1', 's', '{}', 'h', 'x', 'x', 'x', 'x', 'now')",
    );
    expect(await migrate(client, [...FIRST, addNotes])).toBe(2);
    expect(await versions(client)).toEqual([1, 2]);
    const runs = await client.execute("SELECT id, notes FROM runs");
    expect(runs.rows.map((row) => ({ id: row.id, notes: row.notes }))).toEqual([
      { id: "run-1", notes: null },
    ]);
  });

  it("applies a migration released after a higher-numbered one (written on another branch)", async () => {
    const client = connect();
    const addTags: Migration = {
      version: 3,
      name: "run tags",
      statements: ["ALTER TABLE runs ADD COLUMN tags TEXT"],
    };
    await migrate(client, [...FIRST, addTags]);
    expect(await migrate(client, [...FIRST, addNotes, addTags])).toBe(3);
    expect(await versions(client)).toEqual([1, 2, 3]);
    const columns = await client.execute(
      "SELECT name FROM pragma_table_info('runs') WHERE name IN ('notes', 'tags')",
    );
    expect(columns.rows.map((row) => row.name)).toEqual(["tags", "notes"]);
  });

  it("keeps reviewers' reasoning codes in the table of migration 4", async () => {
    const client = connect();
    expect(await migrate(client)).toBe(6);
    expect(await versions(client)).toEqual([1, 2, 3, 4, 5, 6]);
    const columns = await client.execute(
      "SELECT name, pk FROM pragma_table_info('reasoning_codes') ORDER BY cid",
    );
    expect(columns.rows.map((row) => [row.name, row.pk])).toEqual([
      ["run_id", 1],
      ["model_id", 2],
      ["case_id", 3],
      ["sample", 4],
      ["reconciled", 5],
      ["reviewer", 6],
      ["code", 0],
      ["note", 0],
      ["coded_at", 0],
    ]);
  });

  it("leaves the database at the last whole version when a migration fails", async () => {
    const client = connect();
    const broken: Migration = {
      version: 2,
      name: "broken",
      statements: ["CREATE TABLE extra (x)", "NOT SQL"],
    };
    await expect(migrate(client, [...FIRST, broken])).rejects.toThrow();
    expect(await versions(client)).toEqual([1]);
    const extra = await client.execute("SELECT name FROM sqlite_master WHERE name = 'extra'");
    expect(extra.rows).toEqual([]);
  });

  it("refuses a database written by a newer clinval", async () => {
    await migrate(connect(), [...FIRST, addNotes]);
    await expect(migrate(connect(), FIRST)).rejects.toEqual(
      new ClinvalError(
        "store-too-new",
        "the store is at schema version 2, newer than this clinval knows (1): update clinval",
      ),
    );
  });

  it("migrates once when two connections open a fresh database at the same time", async () => {
    const results = await Promise.all([migrate(connect(), FIRST), migrate(connect(), FIRST)]);
    expect(results).toEqual([1, 1]);
    expect(await versions(connect())).toEqual([1]);
  });
});
