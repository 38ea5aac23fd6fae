import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createClient } from "@libsql/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { completionFor, makeStudy } from "../../test/support/runner-fakes.ts";
import type { Suite } from "../core/case.ts";
import type { ReasoningCodeValue } from "../core/error-modes.ts";
import type { JobResult } from "../runner/job-result.ts";
import { MIGRATIONS } from "./migrations.ts";
import { openStore, type Store } from "./store.ts";
import { defaultStorePath } from "./store-path.ts";
import { hashStudy } from "./study-hash.ts";

const study = makeStudy([{ id: "a", provider: "openai", model: "m" }]);
const suite: Suite = {
  id: "cases.jsonl",
  source: "/data/cases.jsonl",
  sha256: "f".repeat(64),
  cases: [
    { id: "dx-1", text: "first", specialty: "cardiology" },
    { id: "dx-2", text: "second" },
  ],
};

function success(caseId: string, text = `answer ${caseId}`, cached = false): JobResult {
  return {
    modelId: "a",
    caseId,
    sample: 0,
    key: `key-${caseId}`,
    completion: completionFor(text),
    error: null,
    cached,
  };
}

function failure(caseId: string): JobResult {
  return {
    modelId: "a",
    caseId,
    sample: 0,
    key: `key-${caseId}`,
    completion: null,
    error: { failure: "http", message: "bad gateway", status: 502, attempts: 5 },
    cached: false,
  };
}

let folder: string;
let store: Store;

beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), "clinval-store-"));
  store = await openStore(join(folder, "nested", "clinval.db"));
});

afterEach(async () => {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

async function inspect<T>(query: string): Promise<T[]> {
  const client = createClient({ url: pathToFileURL(store.path).href });
  try {
    return (await client.execute(query)).rows as unknown as T[];
  } finally {
    client.close();
  }
}

describe("openStore", () => {
  it("creates the folders and the schema, in WAL mode", async () => {
    expect(existsSync(join(folder, "nested", "clinval.db"))).toBe(true);
    expect((await inspect<{ journal_mode: string }>("PRAGMA journal_mode"))[0].journal_mode).toBe("wal");
    const tables = await inspect<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    );
    expect(tables.map((table) => table.name)).toEqual([
      "adjudications",
      "embeddings",
      "judge_verdicts",
      "migrations",
      "reasoning_codes",
      "response_refs",
      "responses",
      "results",
      "runs",
      "suites",
    ]);
  });

  it("keeps the data when opened again", async () => {
    const run = await store.createRun({ study, studyHash: "hash", suite });
    await store.saveResult(run.id, success("dx-1"));
    await store.close();
    store = await openStore(join(folder, "nested", "clinval.db"));
    expect(await store.results(run.id)).toEqual([success("dx-1")]);
    expect(await inspect<{ version: number }>("SELECT version FROM migrations")).toEqual(
      MIGRATIONS.map(({ version }) => expect.objectContaining({ version })),
    );
  });
});

describe("openStore failures", () => {
  it("says which store it could not open, without a stack trace", async () => {
    const blocker = join(folder, "a-file");
    writeFileSync(blocker, "not a folder");
    await expect(openStore(join(blocker, "clinval.db"))).rejects.toMatchObject({
      code: "store-open",
      message: expect.stringContaining(`cannot open the store at ${join(blocker, "clinval.db")}: `),
    });
  });

  it("refuses a file that is not a database and leaves it as it was", async () => {
    const notDatabase = join(folder, "notes.db");
    writeFileSync(notDatabase, "x".repeat(4096));
    await expect(openStore(notDatabase)).rejects.toMatchObject({
      code: "store-foreign",
      message: `${notDatabase} is not a clinval store (not an SQLite database, or a damaged one); it was left untouched. Name another file with --store, or restore it from a backup`,
    });
    expect(readFileSync(notDatabase, "utf8")).toBe("x".repeat(4096));
  });

  it("refuses an SQLite database of another program, byte-identical afterwards", async () => {
    const foreign = join(folder, "other.sqlite");
    const other = createClient({ url: pathToFileURL(foreign).href });
    await other.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)");
    await other.execute("INSERT INTO patients (name) VALUES ('x')");
    other.close();
    const before = readFileSync(foreign);
    for (const readOnly of [false, true]) {
      await expect(openStore(foreign, { readOnly })).rejects.toMatchObject({
        code: "store-foreign",
        message: `${foreign} is an SQLite database of another program, not a clinval store; it was left untouched. Name another file with --store`,
      });
    }
    expect(readFileSync(foreign).equals(before)).toBe(true);
    expect(readdirSync(folder).filter((name) => name.startsWith("other"))).toEqual(["other.sqlite"]);
  });

  it("refuses a store of a newer clinval, byte-identical afterwards", async () => {
    const newer = join(folder, "newer.db");
    const created = await openStore(newer);
    await created.close();
    const client = createClient({ url: pathToFileURL(newer).href });
    await client.execute("INSERT INTO migrations (version, name, applied_at) VALUES (99, 'future', 'then')");
    // Everything into the database file itself, so that "byte-identical" is about that file alone.
    await client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    client.close();
    const before = readFileSync(newer);
    await expect(openStore(newer)).rejects.toMatchObject({
      code: "store-too-new",
      message: `the store at ${newer} is at schema version 99, newer than this clinval knows (${Math.max(...MIGRATIONS.map((migration) => migration.version))}); it was left untouched. Update clinval to use it`,
    });
    expect(readFileSync(newer).equals(before)).toBe(true);
  });

  it("read-only: never creates a store, and refuses writes to one that exists", async () => {
    const missing = join(folder, "missing", "clinval.db");
    await expect(openStore(missing, { readOnly: true })).rejects.toMatchObject({
      code: "store-missing",
      message: `there is no store at ${missing}: run a study first (clinval run STUDY), or name the store with --store`,
    });
    expect(existsSync(join(folder, "missing"))).toBe(false);
    const run = await store.createRun({ study, studyHash: "hash", suite });
    const reader = await openStore(join(folder, "nested", "clinval.db"), { readOnly: true });
    try {
      expect((await reader.getRun(run.id))?.id).toBe(run.id);
      await expect(reader.createRun({ study, studyHash: "hash", suite })).rejects.toThrow(/readonly/i);
    } finally {
      await reader.close();
    }
  });
});

describe("defaultStorePath", () => {
  it("is .clinval/clinval.db under the working directory", () => {
    expect(defaultStorePath("/srv/study", {})).toBe(join("/srv/study", ".clinval", "clinval.db"));
  });

  it("is clinval.db in CLINVAL_HOME when set, relative to the working directory", () => {
    expect(defaultStorePath("/srv/study", { CLINVAL_HOME: "/var/lib/clinval" })).toBe(
      "/var/lib/clinval/clinval.db",
    );
    expect(defaultStorePath("/srv/study", { CLINVAL_HOME: "store" })).toBe("/srv/study/store/clinval.db");
    expect(defaultStorePath("/srv/study", { CLINVAL_HOME: " " })).toBe("/srv/study/.clinval/clinval.db");
  });
});

describe("runs", () => {
  it("records a run and reads it back", async () => {
    const run = await store.createRun({
      id: "run-1",
      study,
      studyHash: "hash",
      suite,
      startedAt: "2025-03-01T14:22:33.000Z",
    });
    const expected = {
      id: "run-1",
      studyName: "fake-study",
      study,
      studyHash: "hash",
      suite: {
        id: "cases.jsonl",
        source: "/data/cases.jsonl",
        sha256: "f".repeat(64),
        casesSha256: run.suite.casesSha256,
      },
      startedAt: "2025-03-01T14:22:33.000Z",
      finishedAt: null,
      complete: false,
    };
    expect(run).toEqual(expected);
    expect(await store.getRun("run-1")).toEqual(expected);
    expect(await store.getRun("run-2")).toBeUndefined();
  });

  it("stores no password of a model's address", async () => {
    const withPassword = makeStudy([
      { id: "a", provider: "openai", model: "m", baseUrl: "http://alice:hunter2@gpu-01:8000/v1" },
    ]);
    const run = await store.createRun({ study: withPassword, studyHash: "hash", suite });
    expect(run.study.models[0].baseUrl).toBe("http://alice:***@gpu-01:8000/v1");
    expect((await store.getRun(run.id))?.study.models[0].baseUrl).toBe("http://alice:***@gpu-01:8000/v1");
    expect(JSON.stringify(await inspect("SELECT * FROM runs"))).not.toContain("hunter2");
  });

  it("gives new runs readable, distinct ids", async () => {
    const first = await store.createRun({
      study,
      studyHash: "hash",
      suite,
      startedAt: "2025-03-01T14:22:33.123Z",
    });
    const second = await store.createRun({
      study,
      studyHash: "hash",
      suite,
      startedAt: "2025-03-01T14:22:33.123Z",
    });
    expect(first.id).toMatch(/^20250301-142233-[0-9a-f]{6}$/);
    expect(second.id).not.toBe(first.id);
  });

  it("finds the latest incomplete run of the same study to resume", async () => {
    await store.createRun({
      id: "old",
      study,
      studyHash: "hash",
      suite,
      startedAt: "2025-03-01T10:00:00.000Z",
    });
    await store.createRun({
      id: "latest",
      study,
      studyHash: "hash",
      suite,
      startedAt: "2025-03-02T10:00:00.000Z",
    });
    await store.createRun({
      id: "other",
      study,
      studyHash: "changed",
      suite,
      startedAt: "2025-03-03T10:00:00.000Z",
    });
    expect((await store.findResumableRun("fake-study", "hash"))?.id).toBe("latest");

    await store.finishRun("latest", { complete: false });
    expect((await store.findResumableRun("fake-study", "hash"))?.id).toBe("latest");

    await store.finishRun("latest", { complete: true });
    expect((await store.findResumableRun("fake-study", "hash"))?.id).toBe("old");
    const latest = await store.getRun("latest");
    expect(latest?.complete).toBe(true);
    expect(Number.isNaN(Date.parse(latest?.finishedAt ?? ""))).toBe(false);

    expect(await store.findResumableRun("another-study", "hash")).toBeUndefined();
  });

  it("lists runs newest first with their counts", async () => {
    await store.createRun({
      id: "old",
      study,
      studyHash: "hash",
      suite,
      startedAt: "2025-03-01T10:00:00.000Z",
    });
    await store.createRun({
      id: "new",
      study,
      studyHash: "hash",
      suite,
      startedAt: "2025-03-02T10:00:00.000Z",
    });
    await Promise.all([store.saveResult("new", success("dx-1")), store.saveResult("new", failure("dx-2"))]);
    const runs = await store.listRuns();
    expect(runs.map(({ id, done, errors }) => ({ id, done, errors }))).toEqual([
      { id: "new", done: 1, errors: 1 },
      { id: "old", done: 0, errors: 0 },
    ]);
    expect(runs[0]).toEqual({ ...(await store.getRun("new")), done: 1, errors: 1 });
  });
});

describe("run leases", () => {
  const hash = "hash";
  async function setLease(runId: string, host: string, pid: number, expiresAt: string) {
    const client = createClient({ url: pathToFileURL(store.path).href });
    await client.execute({
      sql: "UPDATE runs SET lease_holder = 'x', lease_host = ?, lease_pid = ?, lease_expires_at = ? WHERE id = ?",
      args: [host, pid, expiresAt, runId],
    });
    client.close();
  }

  it("lets one process run a run at a time, and the next resume it once the lease is given up", async () => {
    const { run, resumed } = await store.startRun({ study, studyHash: hash, suite, resume: true });
    expect(resumed).toBe(false);
    const other = await openStore(store.path);
    try {
      await expect(other.startRun({ study, studyHash: hash, suite, resume: true })).rejects.toMatchObject({
        code: "run-busy",
        message: `run ${run.id} is being run by another clinval (process ${process.pid} on ${hostname()}); its answers are not asked for twice. Wait for it to finish, or stop it and run again to resume`,
      });
      expect(await store.renewLease(run.id)).toBe(true);
      await store.releaseLease(run.id);
      const again = await other.startRun({ study, studyHash: hash, suite, resume: true });
      expect(again).toEqual({ run: expect.objectContaining({ id: run.id }), resumed: true });
      expect(await store.renewLease(run.id)).toBe(false);
      expect((await store.listRuns()).length).toBe(1);
    } finally {
      await other.close();
    }
  });

  it("takes over from a process of this machine that is gone, at once", async () => {
    const { run } = await store.startRun({ study, studyHash: hash, suite, resume: true });
    const gone = spawnSync(process.execPath, ["-e", ""]).pid as number;
    await setLease(run.id, hostname(), gone, new Date(Date.now() + 60_000).toISOString());
    expect(await store.startRun({ study, studyHash: hash, suite, resume: true })).toEqual({
      run: expect.objectContaining({ id: run.id }),
      resumed: true,
    });
  });

  it("takes an expired lease of another machine only with force", async () => {
    const { run } = await store.startRun({ study, studyHash: hash, suite, resume: true });
    await setLease(run.id, "gpu-07", 4242, "2026-01-01T00:00:00.000Z");
    await expect(store.startRun({ study, studyHash: hash, suite, resume: true })).rejects.toMatchObject({
      code: "run-busy",
      message: `run ${run.id} was being run by process 4242 on gpu-07, which stopped renewing its lease at 2026-01-01T00:00:00.000Z. If that process is gone, run again with --force to take the run over`,
    });
    await setLease(run.id, "gpu-07", 4242, new Date(Date.now() + 60_000).toISOString());
    await expect(
      store.startRun({ study, studyHash: hash, suite, resume: true, force: true }),
    ).rejects.toMatchObject({ code: "run-busy" });
    await setLease(run.id, "gpu-07", 4242, "2026-01-01T00:00:00.000Z");
    expect(await store.startRun({ study, studyHash: hash, suite, resume: true, force: true })).toEqual({
      run: expect.objectContaining({ id: run.id }),
      resumed: true,
    });
  });

  it("starts a new run beside a leased one when asked not to resume", async () => {
    const { run } = await store.startRun({ study, studyHash: hash, suite, resume: true });
    const fresh = await store.startRun({ study, studyHash: hash, suite, resume: false });
    expect(fresh.resumed).toBe(false);
    expect(fresh.run.id).not.toBe(run.id);
  });
});

describe("suites", () => {
  it("keeps the cases a run used, exactly, once per distinct content", async () => {
    const run = await store.createRun({ study, studyHash: "hash", suite });
    expect(await store.runCases(run.id)).toEqual(suite.cases);
    expect(await store.getSuiteCases(run.suite.casesSha256)).toEqual(suite.cases);
    expect(await store.saveSuite(suite)).toBe(run.suite.casesSha256);

    const edited = { ...suite, cases: [{ id: "dx-1", text: "edited" }] };
    const editedHash = await store.saveSuite(edited);
    expect(editedHash).not.toBe(run.suite.casesSha256);
    expect(await store.getSuiteCases(editedHash)).toEqual(edited.cases);
    expect(await store.runCases(run.id)).toEqual(suite.cases);
    expect(await inspect<{ count: number }>("SELECT count(*) AS count FROM suites")).toEqual([
      expect.objectContaining({ count: 2 }),
    ]);
    expect(await store.getSuiteCases("unknown")).toBeUndefined();
    expect(await store.runCases("unknown")).toBeUndefined();
  });
});

describe("results and the response cache", () => {
  it("saves results and answers the cache with successful new completions only", async () => {
    await store.createRun({ id: "run-1", study, studyHash: "hash", suite });
    await Promise.all([
      store.saveResult("run-1", success("dx-1")),
      store.saveResult("run-1", failure("dx-2")),
      store.saveResult("run-1", { ...success("dx-3", "from cache", true), key: "only-in-results" }),
    ]);
    expect(await store.results("run-1")).toEqual([
      success("dx-1"),
      failure("dx-2"),
      { ...success("dx-3", "from cache", true), key: "only-in-results" },
    ]);
    expect(await store.get("key-dx-1")).toEqual(completionFor("answer dx-1"));
    expect(await store.get("key-dx-2")).toBeUndefined();
    expect(await store.get("only-in-results")).toBeUndefined();
    expect(await store.finishedJobs("run-1")).toEqual(new Set(["a/0/dx-1", "a/0/dx-3"]));
  });

  it("stores each answer once, in its result; the cache points at the newest, and older answers stay found", async () => {
    const long = "x".repeat(100_000);
    await store.createRun({ id: "run-1", study, studyHash: "hash", suite });
    await store.saveResult("run-1", success("dx-1", long));
    await store.finishedJobs("run-1");
    const stored = await inspect<{ total: number }>(
      "SELECT sum(length(completion)) AS total FROM (SELECT completion FROM results UNION ALL SELECT completion FROM responses)",
    );
    expect(Number(stored[0].total)).toBe(JSON.stringify(completionFor(long)).length);
    expect(await store.get("key-dx-1")).toEqual(completionFor(long));

    // A run with the cache switched off asks again: the cache then answers with the newer answer, and
    // the first run keeps its own.
    await store.createRun({ id: "run-2", study, studyHash: "hash", suite });
    await store.saveResult("run-2", success("dx-1", "newer"));
    expect(await store.get("key-dx-1")).toEqual(completionFor("newer"));
    expect((await store.results("run-1"))[0].completion).toEqual(completionFor(long));

    // An answer cached by a clinval from before this layout (in `responses`) is still found.
    const client = createClient({ url: pathToFileURL(store.path).href });
    await client.execute({
      sql: "INSERT INTO responses (key, provider, model, completion, created_at) VALUES (?, 'openai', 'm', ?, 'then')",
      args: ["legacy-key", JSON.stringify(completionFor("legacy"))],
    });
    client.close();
    expect(await store.get("legacy-key")).toEqual(completionFor("legacy"));
  });

  it("answers many lookups at once, including repeated and missing keys", async () => {
    await store.createRun({ id: "run-1", study, studyHash: "hash", suite });
    const ids = Array.from({ length: 1200 }, (_, index) => `dx-${index}`);
    await Promise.all(ids.map((id) => store.saveResult("run-1", success(id))));
    const keys = [...ids.map((id) => `key-${id}`), "key-dx-5", "missing"];
    const answers = await Promise.all(keys.map((key) => store.get(key)));
    expect(answers.slice(0, 1200)).toEqual(ids.map((id) => completionFor(`answer ${id}`)));
    expect(answers.slice(1200)).toEqual([completionFor("answer dx-5"), undefined]);
  });

  it("replays a result without duplicating it", async () => {
    await store.createRun({ id: "run-1", study, studyHash: "hash", suite });
    await store.saveResult("run-1", success("dx-1"));
    await store.saveResult("run-1", success("dx-1"));
    await Promise.all([
      store.saveResult("run-1", failure("dx-2")),
      store.saveResult("run-1", failure("dx-2")),
    ]);
    expect(await store.results("run-1")).toEqual([success("dx-1"), failure("dx-2")]);
    expect(await inspect<{ count: number }>("SELECT count(*) AS count FROM results")).toEqual([
      expect.objectContaining({ count: 2 }),
    ]);
  });

  it("replaces an error with a later success, never a success with a later error", async () => {
    await store.createRun({ id: "run-1", study, studyHash: "hash", suite });
    await store.saveResult("run-1", failure("dx-1"));
    await store.saveResult("run-1", success("dx-1"));
    await store.saveResult("run-1", success("dx-2"));
    await store.saveResult("run-1", failure("dx-2"));
    expect(await store.results("run-1")).toEqual([success("dx-1"), success("dx-2")]);
  });

  it("lets the newest answer for a key refresh the cache", async () => {
    await store.createRun({ id: "run-1", study, studyHash: "hash", suite });
    await store.createRun({ id: "run-2", study, studyHash: "hash", suite });
    await store.saveResult("run-1", success("dx-1", "first answer"));
    await store.saveResult("run-2", success("dx-1", "fresh answer"));
    expect(await store.get("key-dx-1")).toEqual(completionFor("fresh answer"));
    expect((await store.results("run-1"))[0].completion).toEqual(completionFor("first answer"));
  });

  it("resolves a save only once another connection can read it", async () => {
    await store.createRun({ id: "run-1", study, studyHash: "hash", suite });
    const saves = Array.from({ length: 50 }, (_, index) => store.saveResult("run-1", success(`dx-${index}`)));
    await saves[0];
    const rows = await inspect<{ case_id: string }>("SELECT case_id FROM results WHERE case_id = 'dx-0'");
    expect(rows).toHaveLength(1);
    await Promise.all(saves);
    expect(await inspect<{ count: number }>("SELECT count(*) AS count FROM results")).toEqual([
      expect.objectContaining({ count: 50 }),
    ]);
  });

  it("writes what is pending before closing", async () => {
    await store.createRun({ id: "run-1", study, studyHash: "hash", suite });
    void store.saveResult("run-1", success("dx-1"));
    await store.close();
    store = await openStore(join(folder, "nested", "clinval.db"));
    expect(await store.results("run-1")).toEqual([success("dx-1")]);
  });
});

describe("reviewers' reasoning codes", () => {
  const code = (reviewer: string, value: ReasoningCodeValue, reconciled = false, note = "") => ({
    runId: "run-1",
    modelId: "a",
    caseId: "dx-1",
    sample: 0,
    reviewer,
    code: value,
    note,
    codedAt: "2025-03-02T09:00:00.000Z",
    reconciled,
  });

  it("keeps one code per reviewer and answer, the last one given, and one reconciled code per answer", async () => {
    await store.saveReasoningCode(code("ben", "other", false, "first thought"));
    await store.saveReasoningCode(code("ben", "knowledge-gap"));
    await store.saveReasoningCode(code("ana", "reasoning-drift", false, "says 'appendicitis' in step 3"));
    await store.saveReasoningCode(code("ana", "knowledge-gap", true));
    await store.saveReasoningCode(code("chair", "reasoning-drift", true, "agreed"));
    await store.saveReasoningCode({ ...code("ana", "none"), caseId: "dx-2" });
    expect(await store.reasoningCodes("run-1")).toEqual([
      code("ana", "reasoning-drift", false, "says 'appendicitis' in step 3"),
      code("ben", "knowledge-gap"),
      code("chair", "reasoning-drift", true, "agreed"),
      { ...code("ana", "none"), caseId: "dx-2" },
    ]);
    expect((await store.reasoningCodes("run-1", "dx-2")).map((row) => row.caseId)).toEqual(["dx-2"]);
    expect(await store.reasoningCodes("run-2")).toEqual([]);
  });

  it("reads one case's results for the given models, and a version that changes with the results", async () => {
    const run = await store.createRun({ study, studyHash: "hash", suite });
    const before = await store.resultsVersion(run.id);
    await store.saveResult(run.id, failure("dx-1"));
    const afterFailure = await store.resultsVersion(run.id);
    await store.saveResult(run.id, success("dx-1"));
    await store.saveResult(run.id, success("dx-2"));
    expect(await store.caseResults(run.id, "dx-1", ["a"])).toEqual([success("dx-1")]);
    expect(await store.caseResults(run.id, "dx-1", ["other"])).toEqual([]);
    const versions = [before, afterFailure, await store.resultsVersion(run.id)];
    expect(new Set(versions).size).toBe(3);
  });

  it("moves the change counter when another process writes to the store, not for its own writes", async () => {
    const start = await store.changeCounter();
    await store.saveReasoningCode(code("ana", "none"));
    expect(await store.changeCounter()).toBe(start);
    const other = await openStore(store.path);
    try {
      await other.saveReasoningCode(code("ben", "none"));
    } finally {
      await other.close();
    }
    expect(await store.changeCounter()).toBeGreaterThan(start);
  });
});

describe("hashStudy", () => {
  it("depends on the study's content, the case file and the template, not on where the study file is", () => {
    const base = hashStudy(study, "a".repeat(64));
    expect(hashStudy({ ...study, file: "/elsewhere/study.yaml" }, "a".repeat(64))).toBe(base);
    expect(hashStudy({ ...study, topK: 3 }, "a".repeat(64))).not.toBe(base);
    expect(hashStudy(study, "b".repeat(64))).not.toBe(base);
    expect(hashStudy(study, "a".repeat(64), "Template {{presentation}}")).not.toBe(base);
  });
});
