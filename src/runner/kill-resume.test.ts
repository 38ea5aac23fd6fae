import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createClient } from "@libsql/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../store/store.ts";
import { jobId } from "./job-id.ts";

const projectRoot = join(import.meta.dirname, "..", "..");
const childScript = join(projectRoot, "test", "support", "run-study-child.ts");
const TOTAL_JOBS = 100;
const LARGEST_CONCURRENCY = 4;
/** Kill once this many results are durable: while the second model runs. */
const KILL_AFTER = 60;

interface LogLine {
  kind: "call" | "durable";
  job: string;
  pid: number;
}

function readLog(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.split(" ").length === 3)
    .map((line) => {
      const [kind, job, pid] = line.split(" ");
      return { kind: kind as LogLine["kind"], job, pid: Number(pid) };
    });
}

function startChild(storePath: string, logPath: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", childScript, storePath, logPath], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

let folder: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), "clinval-kill-"));
});

afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe("a run killed with SIGKILL half-way", () => {
  it("resumes with exactly one result per job and without repeating a finished call", async () => {
    const storePath = join(folder, "clinval.db");
    const logPath = join(folder, "calls.log");

    const first = startChild(storePath, logPath);
    const firstExit = exited(first.child);
    let exitedEarly = false;
    void firstExit.then(() => {
      exitedEarly = true;
    });
    while (!exitedEarly && readLog(logPath).filter((line) => line.kind === "durable").length < KILL_AFTER) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    first.child.kill("SIGKILL");
    expect(await firstExit, first.output()).toEqual({ code: null, signal: "SIGKILL" });

    const beforeKill = readLog(logPath);
    const durableBeforeKill = new Set(
      beforeKill.filter((line) => line.kind === "durable").map((line) => line.job),
    );
    const calledBeforeKill = new Set(
      beforeKill.filter((line) => line.kind === "call").map((line) => line.job),
    );
    expect(durableBeforeKill.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(durableBeforeKill.size).toBeLessThan(TOTAL_JOBS);

    const second = startChild(storePath, logPath);
    expect(await exited(second.child), second.output()).toEqual({ code: 0, signal: null });
    const report = JSON.parse(second.output());
    expect(report.resumed).toBe(true);
    // Finished jobs are skipped as finished, not even looked up in the response cache.
    expect(report.summary).toEqual({
      total: TOTAL_JOBS,
      done: TOTAL_JOBS,
      errors: 0,
      fromCache: 0,
      cancelled: false,
      complete: true,
    });

    const afterResume = readLog(logPath).filter((line) => line.pid === second.child.pid);
    const calledAfterResume = afterResume.filter((line) => line.kind === "call").map((line) => line.job);
    // No finished call was made again …
    expect(calledAfterResume.filter((job) => durableBeforeKill.has(job))).toEqual([]);
    // … and what was lost is at most the calls in flight and the answers waiting for their commit at the
    // kill: together no more than the model's concurrency twice over, here the slow model's 2 + 2.
    const repeated = calledAfterResume.filter((job) => calledBeforeKill.has(job));
    expect(repeated.length).toBeLessThanOrEqual(LARGEST_CONCURRENCY);
    expect(new Set(calledAfterResume).size).toBe(calledAfterResume.length);

    const store = await openStore(storePath);
    try {
      const results = await store.results(report.runId);
      const jobs = results.map((result) => jobId(result.modelId, result.caseId, result.sample));
      expect(jobs).toHaveLength(TOTAL_JOBS);
      expect(new Set(jobs).size).toBe(TOTAL_JOBS);
      expect(results.filter((result) => result.error !== null)).toEqual([]);
      for (const result of results) {
        expect(result.completion?.text).toBe(
          `${jobId(result.modelId, result.caseId, result.sample)} answered`,
        );
      }
      expect((await store.listRuns()).map((run) => ({ id: run.id, complete: run.complete }))).toEqual([
        { id: report.runId, complete: true },
      ]);
    } finally {
      await store.close();
    }

    const client = createClient({ url: pathToFileURL(storePath).href });
    try {
      expect((await client.execute("PRAGMA integrity_check")).rows.map((row) => row[0])).toEqual(["ok"]);
    } finally {
      client.close();
    }
  });
});
