import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Client, createClient, type InStatement, type Row } from "@libsql/client";
import { type Adjudication, CLINICIAN_DECISIONS } from "../core/adjudication.ts";
import type { Case, Suite } from "../core/case.ts";
import type { Completion } from "../core/chat.ts";
import type { ReasoningCode } from "../core/error-modes.ts";
import { ClinvalError } from "../core/errors.ts";
import type { Study } from "../core/study.ts";
import { jobId } from "../runner/job-id.ts";
import type { JobFailure, JobResult } from "../runner/job-result.ts";
import { processIsAlive } from "../runner/process-is-alive.ts";
import type { ResponseCache } from "../runner/run-study.ts";
import {
  adjudicationFromRow,
  adjudicationStatement,
  judgeVerdictFromRow,
  judgeVerdictRows,
  type NewJudgeVerdict,
  type StoredJudgeVerdict,
} from "./decision-rows.ts";
import { JsonKeyReader } from "./json-key-reader.ts";
import { MIGRATIONS, migrate } from "./migrations.ts";
import { redactCredentials } from "./redact-credentials.ts";
import { hashCases } from "./study-hash.ts";
import { type Row as QueuedRow, type Upsert, WriteQueue } from "./write-queue.ts";
import { WriterThread } from "./writer-thread.ts";

export interface RunRecord {
  id: string;
  studyName: string;
  /** The study as it was when the run started. */
  study: Study;
  /** See `hashStudy`: runs with the same name and hash can resume each other. */
  studyHash: string;
  suite: {
    id: string;
    source: string;
    /** sha256 of the case file's bytes (the report's `suite.sha256`). */
    sha256: string;
    /** sha256 of the cases as loaded (after field mapping): the key of `getSuiteCases`. */
    casesSha256: string;
  };
  startedAt: string;
  finishedAt: string | null;
  complete: boolean;
}

export interface RunListing extends RunRecord {
  /** Jobs with a completion. */
  done: number;
  /** Jobs whose last result is an error. */
  errors: number;
}

export interface NewRun {
  /** Default: a new id from the start time, e.g. `20250301-142233-9f2c1a`. */
  id?: string;
  study: Study;
  studyHash: string;
  suite: Suite;
  /** ISO time; default now. */
  startedAt?: string;
}

/** The run store: runs, the suites they used, cached responses and every job's result. */
export interface Store extends ResponseCache {
  readonly path: string;
  /** Records a new run and the cases it uses. */
  createRun(run: NewRun): Promise<RunRecord>;
  /** The latest incomplete run of this study (same name and hash), to resume; undefined when there is none. */
  findResumableRun(studyName: string, studyHash: string): Promise<RunRecord | undefined>;
  /**
   * Finds the run to resume (unless `resume` is false) or records a new one, and takes its lease, in one
   * write transaction: while this process holds the lease (renewed by `renewLease`), another that tries
   * to run the same run is refused (`run-busy`) and never asks a model for its jobs. A lease whose holder
   * is known to be gone (a process of this machine that no longer exists) is taken over; one that merely
   * expired, only with `force`.
   */
  startRun(run: NewRun & { resume: boolean; force?: boolean }): Promise<{ run: RunRecord; resumed: boolean }>;
  /** Extends this process's lease on a run; false when it no longer holds it (another took it over). */
  renewLease(runId: string): Promise<boolean>;
  /** Gives up this process's lease on a run. */
  releaseLease(runId: string): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Every run, newest first, with its counts. */
  listRuns(): Promise<RunListing[]>;
  /** Marks a run finished (waits for pending result writes first). */
  finishRun(id: string, outcome: { complete: boolean }): Promise<void>;
  /** Keeps the cases of a suite (once per distinct content); returns their sha256 (`casesSha256`). */
  saveSuite(suite: Suite): Promise<string>;
  getSuiteCases(casesSha256: string): Promise<Case[] | undefined>;
  /** The cases a run used, exactly as loaded when it started. */
  runCases(runId: string): Promise<Case[] | undefined>;
  /** A cached completion for a response key (only successful answers are cached). */
  get(key: string): Promise<Completion | undefined>;
  /**
   * Saves one job's result (and, for a new completion, the response cache entry). Resolves once the
   * result is durable. Writes are idempotent: replaying a result never duplicates it, a success
   * replaces an earlier error of the same job, and an error never replaces a success.
   */
  saveResult(runId: string, result: JobResult): Promise<void>;
  /** Results of a run in the order they were first written. */
  results(runId: string): Promise<JobResult[]>;
  /** The results of one case of a run, for the given models (every sample). */
  caseResults(runId: string, caseId: string, modelIds: readonly string[]): Promise<JobResult[]>;
  /**
   * Counts that change whenever a run's results do (a new result, an error replaced by an answer, the
   * run finished): whether an analysis of the run is still current.
   */
  resultsVersion(runId: string): Promise<string>;
  /**
   * SQLite's `data_version`: changes whenever another connection (another clinval process) commits to
   * the store. Reading it costs nothing, so callers check it before anything dearer.
   */
  changeCounter(): Promise<number>;
  /**
   * Saves a reviewer's code of an answer, replacing that reviewer's earlier code of it. A reconciled
   * code replaces any earlier reconciled code of the answer, whoever wrote it.
   */
  saveReasoningCode(code: ReasoningCode): Promise<void>;
  /** Reasoning codes of a run, or of one case of it; in answer, then reviewer order. */
  reasoningCodes(runId: string, caseId?: string): Promise<ReasoningCode[]>;
  /** Job ids (see `jobId`) of a run's successful results: the jobs a resume skips. */
  finishedJobs(runId: string): Promise<Set<string>>;
  /**
   * Saves the judge's verdict on a pair within a run (and, for a new completion, the response cache
   * entry), idempotent like `saveResult`: a verdict replaces an earlier error, an error never a verdict.
   */
  saveJudgeVerdict(runId: string, verdict: NewJudgeVerdict): Promise<void>;
  /** The judge's verdicts of a run, in the order first written; `verdict` is null where the call failed. */
  judgeVerdicts(runId: string): Promise<StoredJudgeVerdict[]>;
  /**
   * Records clinicians' decisions, all in one transaction or none. A decision on a pair replaces any
   * earlier one on the same pair (see `pairKey`).
   */
  recordAdjudications(decisions: readonly Adjudication[]): Promise<void>;
  /** Every clinician decision in the store, oldest first. */
  adjudications(): Promise<Adjudication[]>;
  /** Waits for pending writes, then closes the database. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /**
   * For commands that only read: the store must already exist (nothing is created), and the connection
   * refuses writes. An older schema is still brought up to date first, since reading needs it.
   */
  readOnly?: boolean;
}

/** Opens (creating if needed, unless read-only) the store at `path` and brings its schema up to date. */
export async function openStore(path: string, options: OpenStoreOptions = {}): Promise<Store> {
  const { client, path: absolute } = await openDatabase(path, options);
  return new LibsqlStore(absolute, client);
}

/** Written into every store this clinval creates (SQLite's `application_id`): "clnv". */
const CLINVAL_APPLICATION_ID = 0x636c6e76;
const SQLITE_HEADER = "SQLite format 3\0";

/**
 * The store's database connection, created if needed, in WAL mode with durable commits and the schema
 * brought up to date. For the few parts that keep their own tables in the store (the embedding cache).
 * Before anything is written, the file is checked to be a clinval store this version can use: a file
 * that is not SQLite, an SQLite database of another program, or a store of a newer clinval is refused
 * and left exactly as it was.
 */
export async function openDatabase(
  path: string,
  options: OpenStoreOptions = {},
): Promise<{ client: Client; path: string }> {
  const absolute = resolve(path);
  const exists = existsSync(absolute);
  if (options.readOnly && !exists) {
    throw new ClinvalError(
      "store-missing",
      `there is no store at ${absolute}: run a study first (clinval run STUDY), or name the store with --store`,
    );
  }
  if (exists) checkSqliteHeader(absolute);
  let client: Client;
  try {
    if (!exists) mkdirSync(dirname(absolute), { recursive: true });
    // One connection: libSQL runs statements synchronously, so more would only contend for the write lock.
    client = createClient({ url: pathToFileURL(absolute).href, concurrency: 1, timeout: 10_000 });
  } catch (error) {
    throw new ClinvalError("store-open", `cannot open the store at ${absolute}: ${describe(error)}`);
  }
  try {
    const empty = await checkIdentity(client, absolute);
    if (empty) await client.execute(`PRAGMA application_id = ${CLINVAL_APPLICATION_ID}`);
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute("PRAGMA synchronous = FULL");
    await client.execute("PRAGMA wal_autocheckpoint = 10000");
    await migrate(client, MIGRATIONS);
    if (options.readOnly) await client.execute("PRAGMA query_only = ON");
  } catch (error) {
    client.close();
    if (error instanceof ClinvalError) throw error;
    throw new ClinvalError("store-open", `cannot open the store at ${absolute}: ${describe(error)}`);
  }
  return { client, path: absolute };
}

/** An existing, non-empty file must begin as every SQLite database does. */
function checkSqliteHeader(path: string): void {
  let header: Buffer;
  try {
    const descriptor = openSync(path, "r");
    try {
      header = Buffer.alloc(SQLITE_HEADER.length);
      header = header.subarray(0, readSync(descriptor, header, 0, header.length, 0));
    } finally {
      closeSync(descriptor);
    }
  } catch (error) {
    throw new ClinvalError("store-open", `cannot open the store at ${path}: ${describe(error)}`);
  }
  if (header.length > 0 && header.toString("latin1") !== SQLITE_HEADER) {
    throw new ClinvalError(
      "store-foreign",
      `${path} is not a clinval store (not an SQLite database, or a damaged one); it was left untouched. ` +
        "Name another file with --store, or restore it from a backup",
    );
  }
}

/**
 * Reads only: a database with tables but none of clinval's bookkeeping, or marked by another program,
 * is not ours; one from a newer clinval cannot be used by this one. Returns true for a database without
 * tables (new).
 */
async function checkIdentity(client: Client, path: string): Promise<boolean> {
  const applicationId = Number((await client.execute("PRAGMA application_id")).rows[0][0]);
  const tables = new Set(
    (await client.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).rows.map((row) =>
      String(row[0]),
    ),
  );
  const foreign =
    (applicationId !== 0 && applicationId !== CLINVAL_APPLICATION_ID) ||
    (tables.size > 0 && !tables.has("migrations"));
  if (foreign) {
    throw new ClinvalError(
      "store-foreign",
      `${path} is an SQLite database of another program, not a clinval store; it was left untouched. ` +
        "Name another file with --store",
    );
  }
  if (tables.has("migrations")) {
    const version = Number(
      (await client.execute("SELECT coalesce(max(version), 0) FROM migrations")).rows[0][0],
    );
    const latest = Math.max(...MIGRATIONS.map((migration) => migration.version));
    if (version > latest) {
      throw new ClinvalError(
        "store-too-new",
        `the store at ${path} is at schema version ${version}, newer than this clinval knows (${latest}); ` +
          "it was left untouched. Update clinval to use it",
      );
    }
  }
  return tables.size === 0;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How long a lease holds without a heartbeat; `renewLease` is meant to be called well within it. */
export const LEASE_MS = 30_000;

function leaseExpiry(): string {
  return new Date(Date.now() + LEASE_MS).toISOString();
}

class LibsqlStore implements Store {
  readonly #client: Client;
  readonly #writes: WriteQueue;
  readonly #writer: WriterThread;
  readonly #responses: JsonKeyReader;
  readonly #leaseHolder = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;

  constructor(
    readonly path: string,
    client: Client,
  ) {
    this.#client = client;
    // Results are committed on a thread of their own, so a commit never holds up the answers being read.
    this.#writer = new WriterThread(pathToFileURL(path).href);
    this.#writes = new WriteQueue((statements) => this.#writer.commit(statements));
    this.#responses = new JsonKeyReader(client, "cached_answers", "key", "completion");
  }

  async createRun(run: NewRun): Promise<RunRecord> {
    await this.#writes.flush();
    const { statements, record } = runInsert(run);
    await this.#client.batch(statements, "write");
    return record;
  }

  async startRun(
    request: NewRun & { resume: boolean; force?: boolean },
  ): Promise<{ run: RunRecord; resumed: boolean }> {
    await this.#writes.flush();
    const transaction = await this.#client.transaction("write");
    try {
      const found = request.resume
        ? await transaction.execute({
            sql: `SELECT * FROM runs WHERE study_name = ? AND study_hash = ? AND complete = 0
                  ORDER BY started_at DESC, rowid DESC LIMIT 1`,
            args: [request.study.name, request.studyHash],
          })
        : undefined;
      const row = found?.rows[0];
      if (row !== undefined) checkLease(row, request.force === true);
      let run: RunRecord;
      if (row === undefined) {
        const { statements, record } = runInsert(request);
        await transaction.batch(statements);
        run = record;
      } else {
        run = runFromRow(row);
      }
      await transaction.execute({
        sql: "UPDATE runs SET lease_holder = ?, lease_host = ?, lease_pid = ?, lease_expires_at = ? WHERE id = ?",
        args: [this.#leaseHolder, hostname(), process.pid, leaseExpiry(), run.id],
      });
      await transaction.commit();
      return { run, resumed: row !== undefined };
    } finally {
      transaction.close();
    }
  }

  async renewLease(runId: string): Promise<boolean> {
    const result = await this.#client.execute({
      sql: "UPDATE runs SET lease_expires_at = ? WHERE id = ? AND lease_holder = ?",
      args: [leaseExpiry(), runId, this.#leaseHolder],
    });
    return result.rowsAffected === 1;
  }

  async releaseLease(runId: string): Promise<void> {
    await this.#client.execute({
      sql: `UPDATE runs SET lease_holder = NULL, lease_host = NULL, lease_pid = NULL, lease_expires_at = NULL
            WHERE id = ? AND lease_holder = ?`,
      args: [runId, this.#leaseHolder],
    });
  }

  async findResumableRun(studyName: string, studyHash: string): Promise<RunRecord | undefined> {
    const result = await this.#client.execute({
      sql: `SELECT * FROM runs WHERE study_name = ? AND study_hash = ? AND complete = 0
            ORDER BY started_at DESC, rowid DESC LIMIT 1`,
      args: [studyName, studyHash],
    });
    return result.rows.length === 0 ? undefined : runFromRow(result.rows[0]);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const result = await this.#client.execute({ sql: "SELECT * FROM runs WHERE id = ?", args: [id] });
    return result.rows.length === 0 ? undefined : runFromRow(result.rows[0]);
  }

  async listRuns(): Promise<RunListing[]> {
    await this.#writes.flush();
    const result = await this.#client.execute(
      `SELECT runs.*,
         (SELECT count(*) FROM results WHERE results.run_id = runs.id AND results.completion IS NOT NULL) AS done,
         (SELECT count(*) FROM results WHERE results.run_id = runs.id AND results.completion IS NULL) AS errors
       FROM runs ORDER BY started_at DESC, rowid DESC`,
    );
    return result.rows.map((row) => ({
      ...runFromRow(row),
      done: Number(row.done),
      errors: Number(row.errors),
    }));
  }

  async finishRun(id: string, outcome: { complete: boolean }): Promise<void> {
    await this.#writes.flush();
    await this.#client.execute({
      sql: "UPDATE runs SET finished_at = ?, complete = ? WHERE id = ?",
      args: [new Date().toISOString(), outcome.complete ? 1 : 0, id],
    });
  }

  async saveSuite(suite: Suite): Promise<string> {
    const { statement, casesSha256 } = suiteInsert(suite);
    await this.#client.execute(statement);
    return casesSha256;
  }

  async getSuiteCases(casesSha256: string): Promise<Case[] | undefined> {
    const result = await this.#client.execute({
      sql: "SELECT cases FROM suites WHERE sha256 = ?",
      args: [casesSha256],
    });
    return result.rows.length === 0 ? undefined : (JSON.parse(String(result.rows[0].cases)) as Case[]);
  }

  async runCases(runId: string): Promise<Case[] | undefined> {
    const run = await this.getRun(runId);
    return run && this.getSuiteCases(run.suite.casesSha256);
  }

  async get(key: string): Promise<Completion | undefined> {
    return (await this.#responses.get(key)) as Completion | undefined;
  }

  saveResult(runId: string, result: JobResult): Promise<void> {
    return this.#writes.add(resultRows(runId, result, new Date().toISOString()));
  }

  async results(runId: string): Promise<JobResult[]> {
    await this.#writes.flush();
    const result = await this.#client.execute({
      sql: `SELECT model_id, case_id, sample, key, completion, error, cached FROM results
            WHERE run_id = ? ORDER BY rowid`,
      args: [runId],
    });
    return result.rows.map(jobResultFromRow);
  }

  async caseResults(runId: string, caseId: string, modelIds: readonly string[]): Promise<JobResult[]> {
    if (modelIds.length === 0) return [];
    await this.#writes.flush();
    const result = await this.#client.execute({
      sql: `SELECT model_id, case_id, sample, key, completion, error, cached FROM results
            WHERE run_id = ? AND model_id IN (${modelIds.map(() => "?").join(", ")}) AND case_id = ?
            ORDER BY rowid`,
      args: [runId, ...modelIds, caseId],
    });
    return result.rows.map(jobResultFromRow);
  }

  async resultsVersion(runId: string): Promise<string> {
    await this.#writes.flush();
    // Only the start of each row is read (`completion IS NULL` is in the record header), never the answers.
    const result = await this.#client.execute({
      sql: `SELECT count(*) AS rows, total(completion IS NULL) AS failed,
              (SELECT finished_at FROM runs WHERE id = ?) AS finished
            FROM results WHERE run_id = ?`,
      args: [runId, runId],
    });
    const row = result.rows[0];
    return [row.rows, row.failed, row.finished].map(String).join("/");
  }

  async changeCounter(): Promise<number> {
    const result = await this.#client.execute("PRAGMA data_version");
    return Number(result.rows[0].data_version);
  }

  async saveReasoningCode(code: ReasoningCode): Promise<void> {
    const answer = [code.runId, code.modelId, code.caseId, code.sample];
    const statements: InStatement[] = [];
    if (code.reconciled) {
      statements.push({
        sql: `DELETE FROM reasoning_codes
              WHERE run_id = ? AND model_id = ? AND case_id = ? AND sample = ? AND reconciled = 1`,
        args: answer,
      });
    }
    statements.push({
      sql: `INSERT INTO reasoning_codes (run_id, model_id, case_id, sample, reconciled, reviewer, code, note, coded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, model_id, case_id, sample, reconciled, reviewer)
            DO UPDATE SET code = excluded.code, note = excluded.note, coded_at = excluded.coded_at`,
      args: [...answer, code.reconciled ? 1 : 0, code.reviewer, code.code, code.note, code.codedAt],
    });
    await this.#client.batch(statements, "write");
  }

  async reasoningCodes(runId: string, caseId?: string): Promise<ReasoningCode[]> {
    const result = await this.#client.execute({
      sql: `SELECT * FROM reasoning_codes WHERE run_id = ?${caseId === undefined ? "" : " AND case_id = ?"}
            ORDER BY model_id, case_id, sample, reconciled, reviewer`,
      args: caseId === undefined ? [runId] : [runId, caseId],
    });
    return result.rows.map((row) => ({
      runId: String(row.run_id),
      modelId: String(row.model_id),
      caseId: String(row.case_id),
      sample: Number(row.sample),
      reviewer: String(row.reviewer),
      code: String(row.code) as ReasoningCode["code"],
      note: String(row.note),
      codedAt: String(row.coded_at),
      reconciled: Number(row.reconciled) === 1,
    }));
  }

  async finishedJobs(runId: string): Promise<Set<string>> {
    await this.#writes.flush();
    const result = await this.#client.execute({
      sql: "SELECT model_id, case_id, sample FROM results WHERE run_id = ? AND completion IS NOT NULL",
      args: [runId],
    });
    return new Set(
      result.rows.map((row) => jobId(String(row.model_id), String(row.case_id), Number(row.sample))),
    );
  }

  saveJudgeVerdict(runId: string, verdict: NewJudgeVerdict): Promise<void> {
    return this.#writes.add(judgeVerdictRows(runId, verdict, RESPONSE_UPSERT, new Date().toISOString()));
  }

  async judgeVerdicts(runId: string): Promise<StoredJudgeVerdict[]> {
    await this.#writes.flush();
    const result = await this.#client.execute({
      sql: "SELECT * FROM judge_verdicts WHERE run_id = ? ORDER BY rowid",
      args: [runId],
    });
    return result.rows.map(judgeVerdictFromRow);
  }

  async recordAdjudications(decisions: readonly Adjudication[]): Promise<void> {
    for (const [index, decision] of decisions.entries()) {
      const problem = adjudicationProblem(decision);
      if (problem !== undefined)
        throw new ClinvalError("invalid-adjudication", `decisions.${index}: ${problem}`);
    }
    if (decisions.length === 0) return;
    await this.#writes.flush();
    await this.#client.batch(decisions.map(adjudicationStatement), "write");
  }

  async adjudications(): Promise<Adjudication[]> {
    const result = await this.#client.execute("SELECT * FROM adjudications ORDER BY decided_at, rowid");
    return result.rows.map(adjudicationFromRow);
  }

  async close(): Promise<void> {
    try {
      await this.#writes.flush();
    } finally {
      await this.#writer.close();
      this.#client.close();
    }
  }
}

// A judge's answer has no result row of its own: it is kept in `responses`, the newest for a key winning.
const RESPONSE_UPSERT: Upsert = {
  table: "responses",
  columns: ["key", "provider", "model", "completion", "created_at"],
  onConflict: `ON CONFLICT (key) DO UPDATE SET provider = excluded.provider, model = excluded.model,
    completion = excluded.completion, created_at = excluded.created_at`,
};

// The cache points at the result holding the newest answer for a key (so a run with the cache switched off
// refreshes it); the answer itself is stored once, in that result.
const RESPONSE_REF_UPSERT: Upsert = {
  table: "response_refs",
  columns: ["key", "run_id", "model_id", "case_id", "sample", "created_at"],
  onConflict: `ON CONFLICT (key) DO UPDATE SET run_id = excluded.run_id, model_id = excluded.model_id,
    case_id = excluded.case_id, sample = excluded.sample, created_at = excluded.created_at`,
};

// A replay changes nothing, a success replaces an error, an error never replaces a success.
const RESULT_UPSERT: Upsert = {
  table: "results",
  columns: ["run_id", "model_id", "case_id", "sample", "key", "completion", "error", "cached", "created_at"],
  onConflict: `ON CONFLICT (run_id, model_id, case_id, sample) DO UPDATE SET key = excluded.key,
    completion = excluded.completion, error = excluded.error, cached = excluded.cached, created_at = excluded.created_at
    WHERE results.completion IS NULL`,
};

function resultRows(runId: string, result: JobResult, now: string): QueuedRow[] {
  const rows: QueuedRow[] = [];
  const completion = result.completion === null ? null : JSON.stringify(result.completion);
  const error = result.error === null ? null : JSON.stringify(result.error);
  rows.push({
    upsert: RESULT_UPSERT,
    values: [
      runId,
      result.modelId,
      result.caseId,
      result.sample,
      result.key,
      completion,
      error,
      result.cached ? 1 : 0,
      now,
    ],
  });
  if (result.completion !== null && !result.cached) {
    rows.push({
      upsert: RESPONSE_REF_UPSERT,
      values: [result.key, runId, result.modelId, result.caseId, result.sample, now],
    });
  }
  return rows;
}

/** The statements that record a new run (and its suite), and the run as recorded. */
function runInsert(run: NewRun): { statements: InStatement[]; record: RunRecord } {
  const startedAt = run.startedAt ?? new Date().toISOString();
  const id = run.id ?? newRunId(startedAt);
  const study = redactCredentials(run.study);
  const { statement, casesSha256 } = suiteInsert(run.suite);
  return {
    statements: [
      statement,
      {
        sql: `INSERT INTO runs (id, study_name, study, study_hash, suite_id, suite_source, suite_sha256,
                suite_cases_sha256, started_at, finished_at, complete)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0)`,
        args: [
          id,
          study.name,
          JSON.stringify(study),
          run.studyHash,
          run.suite.id,
          run.suite.source,
          run.suite.sha256,
          casesSha256,
          startedAt,
        ],
      },
    ],
    record: {
      id,
      studyName: study.name,
      study,
      studyHash: run.studyHash,
      suite: { id: run.suite.id, source: run.suite.source, sha256: run.suite.sha256, casesSha256 },
      startedAt,
      finishedAt: null,
      complete: false,
    },
  };
}

/** Refuses a run whose lease another process may still hold (see `Store.startRun`). */
function checkLease(row: Row, force: boolean): void {
  if (row.lease_holder === null || row.lease_expires_at === null) return;
  const host = String(row.lease_host);
  const pid = Number(row.lease_pid);
  if (host === hostname() && !processIsAlive(pid)) return;
  const expiresAt = String(row.lease_expires_at);
  const holder = `process ${pid} on ${host}`;
  if (Date.parse(expiresAt) > Date.now()) {
    throw new ClinvalError(
      "run-busy",
      `run ${String(row.id)} is being run by another clinval (${holder}); its answers are not asked for twice. ` +
        "Wait for it to finish, or stop it and run again to resume",
    );
  }
  if (!force) {
    throw new ClinvalError(
      "run-busy",
      `run ${String(row.id)} was being run by ${holder}, which stopped renewing its lease at ${expiresAt}. ` +
        "If that process is gone, run again with --force to take the run over",
    );
  }
}

function adjudicationProblem(decision: Adjudication): string | undefined {
  if (decision.reference.trim() === "") return "the reference is empty";
  if (decision.answer.trim() === "") return "the answer is empty";
  if (!(CLINICIAN_DECISIONS as readonly string[]).includes(decision.decision))
    return `decision "${decision.decision}" is not one of ${CLINICIAN_DECISIONS.join(", ")}`;
  if (decision.reviewer.trim() === "") return "the reviewer is empty";
  if (Number.isNaN(Date.parse(decision.decidedAt))) return `"${decision.decidedAt}" is not a time`;
  return undefined;
}

function suiteInsert(suite: Suite): { statement: InStatement; casesSha256: string } {
  const cases = JSON.stringify(suite.cases);
  const casesSha256 = hashCases(cases);
  return {
    casesSha256,
    statement: {
      sql: `INSERT INTO suites (sha256, id, source, file_sha256, case_count, cases, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`,
      args: [
        casesSha256,
        suite.id,
        suite.source,
        suite.sha256,
        suite.cases.length,
        cases,
        new Date().toISOString(),
      ],
    },
  };
}

function jobResultFromRow(row: Row): JobResult {
  return {
    modelId: String(row.model_id),
    caseId: String(row.case_id),
    sample: Number(row.sample),
    key: String(row.key),
    completion: row.completion === null ? null : (JSON.parse(String(row.completion)) as Completion),
    error: row.error === null ? null : (JSON.parse(String(row.error)) as JobFailure),
    cached: Number(row.cached) === 1,
  };
}

function runFromRow(row: Row): RunRecord {
  return {
    id: String(row.id),
    studyName: String(row.study_name),
    study: JSON.parse(String(row.study)) as Study,
    studyHash: String(row.study_hash),
    suite: {
      id: String(row.suite_id),
      source: String(row.suite_source),
      sha256: String(row.suite_sha256),
      casesSha256: String(row.suite_cases_sha256),
    },
    startedAt: String(row.started_at),
    finishedAt: row.finished_at === null ? null : String(row.finished_at),
    complete: Number(row.complete) === 1,
  };
}

function newRunId(startedAt: string): string {
  const stamp = startedAt
    .replace(/\.\d+Z$/, "")
    .replace(/[-:]/g, "")
    .replace("T", "-");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}
