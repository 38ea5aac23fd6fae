import type { Client } from "@libsql/client";
import { ClinvalError } from "../core/errors.ts";

export interface Migration {
  /** 1, 2, 3, … in order; a migration, once released, never changes. */
  version: number;
  name: string;
  statements: string[];
}

/** The store's schema, one numbered migration after another. */
/**
 * The store's table of cached embeddings, as a numbered store migration. Its statements are idempotent,
 * so it runs both from the list below and from `LibsqlEmbeddingCache.create` (src/classifiers).
 */
export const EMBEDDING_CACHE_MIGRATION: Migration = {
  version: 2,
  name: "embedding cache",
  statements: [
    `CREATE TABLE IF NOT EXISTS embeddings (
      key TEXT PRIMARY KEY,
      embedder TEXT NOT NULL,
      dimensions INTEGER NOT NULL,
      vector BLOB NOT NULL,
      created_at TEXT NOT NULL
    )`,
  ],
};

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "runs, suites, responses, results",
    statements: [
      `CREATE TABLE suites (
        sha256 TEXT PRIMARY KEY,
        id TEXT NOT NULL,
        source TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        case_count INTEGER NOT NULL,
        cases TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        study_name TEXT NOT NULL,
        study TEXT NOT NULL,
        study_hash TEXT NOT NULL,
        suite_id TEXT NOT NULL,
        suite_source TEXT NOT NULL,
        suite_sha256 TEXT NOT NULL,
        suite_cases_sha256 TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        complete INTEGER NOT NULL DEFAULT 0
      )`,
      "CREATE INDEX runs_by_study ON runs (study_name, study_hash, started_at)",
      `CREATE TABLE responses (
        key TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        completion TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE results (
        run_id TEXT NOT NULL,
        model_id TEXT NOT NULL,
        case_id TEXT NOT NULL,
        sample INTEGER NOT NULL,
        key TEXT NOT NULL,
        completion TEXT,
        error TEXT,
        cached INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, model_id, case_id, sample)
      )`,
    ],
  },
  EMBEDDING_CACHE_MIGRATION,
  {
    version: 3,
    name: "judge verdicts and clinician adjudications",
    statements: [
      // One verdict per run and (reference, answer) pair; `verdict` is NULL while the judge call failed.
      `CREATE TABLE judge_verdicts (
        run_id TEXT NOT NULL,
        pair_key TEXT NOT NULL,
        reference TEXT NOT NULL,
        answer TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        key TEXT NOT NULL,
        verdict TEXT,
        rationale TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, pair_key)
      )`,
      // The current clinician decision on a (reference, answer) pair, applied to every run.
      `CREATE TABLE adjudications (
        pair_key TEXT PRIMARY KEY,
        reference TEXT NOT NULL,
        answer TEXT NOT NULL,
        decision TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        note TEXT
      )`,
    ],
  },
  {
    version: 4,
    name: "reviewers' reasoning error-mode codes",
    statements: [
      // One code per reviewer and answer; `reconciled` = 1 marks the agreed code written after two
      // reviewers differed (one per answer, kept so by the store).
      `CREATE TABLE reasoning_codes (
        run_id TEXT NOT NULL,
        model_id TEXT NOT NULL,
        case_id TEXT NOT NULL,
        sample INTEGER NOT NULL,
        reconciled INTEGER NOT NULL,
        reviewer TEXT NOT NULL,
        code TEXT NOT NULL,
        note TEXT NOT NULL,
        coded_at TEXT NOT NULL,
        PRIMARY KEY (run_id, model_id, case_id, sample, reconciled, reviewer)
      )`,
    ],
  },
  {
    version: 5,
    name: "run leases",
    statements: [
      "ALTER TABLE runs ADD COLUMN lease_holder TEXT",
      "ALTER TABLE runs ADD COLUMN lease_host TEXT",
      "ALTER TABLE runs ADD COLUMN lease_pid INTEGER",
      "ALTER TABLE runs ADD COLUMN lease_expires_at TEXT",
    ],
  },
  {
    version: 6,
    name: "each answer stored once",
    statements: [
      // The response cache points at the result that holds an answer instead of keeping a second copy.
      `CREATE TABLE response_refs (
        key TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        model_id TEXT NOT NULL,
        case_id TEXT NOT NULL,
        sample INTEGER NOT NULL,
        created_at TEXT NOT NULL
      )`,
      // Answers cached before this version stay in `responses`, read while no newer reference exists.
      `CREATE VIEW cached_answers AS
        SELECT refs.key AS key, results.completion AS completion
          FROM response_refs AS refs
          JOIN results ON results.run_id = refs.run_id AND results.model_id = refs.model_id
            AND results.case_id = refs.case_id AND results.sample = refs.sample
          WHERE results.completion IS NOT NULL
        UNION ALL
        SELECT key, completion FROM responses
          WHERE key NOT IN (SELECT key FROM response_refs)`,
    ],
  },
];

/**
 * Brings the database up to the last migration, each migration in its own write transaction
 * together with its row in `migrations`, so a crash leaves the database at a whole version.
 * Safe when two processes open the same file at once: the second finds the work done.
 * Returns the schema version reached.
 */
export async function migrate(client: Client, migrations: Migration[] = MIGRATIONS): Promise<number> {
  await client.execute(
    "CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const latest = ordered.at(-1)?.version ?? 0;
  const applied = await appliedVersions(client);
  const before = Math.max(0, ...applied);
  if (before > latest) {
    throw new ClinvalError(
      "store-too-new",
      `the store is at schema version ${before}, newer than this clinval knows (${latest}): update clinval`,
    );
  }
  // Every migration not applied yet, also one below the store's version: migrations written at the same
  // time on separate branches can be released in any order, and each is independent of the others.
  for (const migration of ordered.filter((migration) => !applied.has(migration.version))) {
    const record = {
      sql: "INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)",
      args: [migration.version, migration.name, new Date().toISOString()],
    };
    try {
      // One batch runs start to end without yielding, so no other connection can interleave.
      await client.batch([record, ...migration.statements], "write");
    } catch (error) {
      // Another process may have applied it meanwhile (the version row then already exists).
      if ((await appliedVersions(client)).has(migration.version)) continue;
      throw error;
    }
  }
  return currentVersion(client);
}

async function appliedVersions(executor: Pick<Client, "execute">): Promise<Set<number>> {
  const result = await executor.execute("SELECT version FROM migrations");
  return new Set(result.rows.map((row) => Number(row.version)));
}

async function currentVersion(executor: Pick<Client, "execute">): Promise<number> {
  const result = await executor.execute("SELECT coalesce(max(version), 0) AS version FROM migrations");
  return Number(result.rows[0].version);
}
