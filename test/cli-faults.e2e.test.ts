/**
 * Infrastructure faults through `clinval run` (issue 3): each is retried where that makes sense, then
 * recorded as an `error` with its cause; the run exits 1 and says it is incomplete; the same command run
 * again resumes it, asks only for what failed, and leaves exactly one result per case. Ctrl-C stops a
 * run cleanly and the resume does not repeat a finished call.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Report } from "../src/analysis/report-types.ts";
import { openStore } from "../src/store/store.ts";
import {
  type OpenAICompatibleServer,
  type RecordedRequest,
  type ScriptedReply,
  startOpenAICompatibleServer,
} from "./support/openai-compatible-server.ts";
import { runCli } from "./support/run-cli.ts";

const projectRoot = join(import.meta.dirname, "..");
const MODEL = "fault-model";

interface FaultCase {
  id: string;
  presentation: string;
  diagnosis: string;
}

function makeCases(ids: readonly string[]): FaultCase[] {
  return ids.map((id, index) => ({
    id,
    presentation: `Case ${id}: a ${30 + index}-year-old with fever and a productive cough for ${index + 2} days.`,
    diagnosis: "Community-acquired pneumonia",
  }));
}

/** The case whose presentation is in the request's user message. */
function caseIdOf(request: RecordedRequest, cases: readonly FaultCase[]): string {
  const user = request.messages.find((message) => message.role === "user")?.content ?? "";
  const found = cases.find((testCase) => user.includes(testCase.presentation));
  if (!found) throw new Error(`no case in the prompt: ${user.slice(0, 80)}`);
  return found.id;
}

const ANSWER: ScriptedReply = {
  content: '{"diagnoses": ["Community-acquired pneumonia", "Acute bronchitis"]}',
};

/** `reply`, sent after `ms` (or never, when the client goes away first). */
function delayed(ms: number, reply: ScriptedReply): ScriptedReply {
  // biome-ignore lint/suspicious/noThenProperty: the scripted server names the reply after a delay `then`
  return { delayMs: ms, then: reply };
}

function studyYaml(name: string, baseUrl: string, extra = ""): string {
  return `name: ${name}
task: diagnosis
suite:
  path: ./cases.jsonl
models:
  - id: model-a
    provider: openai
    baseUrl: ${baseUrl}
    model: ${MODEL}
    concurrency: 3
    retries: 2
    timeoutMs: 800
${extra}output: ./reports
`;
}

/** Requests per case id. */
function countByCase(
  requests: readonly RecordedRequest[],
  cases: readonly FaultCase[],
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of requests) {
    const id = caseIdOf(request, cases);
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

let folder: string;
let storePath: string;
const servers: OpenAICompatibleServer[] = [];
const proxies: Server[] = [];

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-faults-"));
  storePath = join(folder, "store", "clinval.db");
});

afterEach(async () => {
  for (const proxy of proxies.splice(0)) await new Promise<void>((resolve) => proxy.close(() => resolve()));
  for (const server of servers.splice(0)) await server.close();
  await rm(folder, { recursive: true, force: true });
});

async function startServer(
  reply: (request: RecordedRequest) => ScriptedReply,
): Promise<OpenAICompatibleServer> {
  const server = await startOpenAICompatibleServer({ reply });
  servers.push(server);
  return server;
}

async function writeStudy(name: string, baseUrl: string, cases: readonly FaultCase[]): Promise<string> {
  await writeFile(
    join(folder, "cases.jsonl"),
    cases.map((testCase) => `${JSON.stringify(testCase)}\n`).join(""),
  );
  const path = join(folder, "study.yaml");
  await writeFile(path, studyYaml(name, baseUrl));
  return path;
}

async function readReport(): Promise<Report> {
  return JSON.parse(await readFile(join(folder, "reports", "report.json"), "utf8"));
}

/** Every job of the run has exactly one stored result, and it is an answer. */
async function expectOneAnswerPerCase(runId: string, cases: readonly FaultCase[]): Promise<void> {
  const listed = await runCli(["runs", "list", "--json", "--store", storePath]);
  expect(listed.code).toBe(0);
  expect(
    JSON.parse(listed.stdout).map(({ id, done, errors, complete }: Record<string, unknown>) => ({
      id,
      done,
      errors,
      complete,
    })),
  ).toEqual([{ id: runId, done: cases.length, errors: 0, complete: true }]);
  const store = await openStore(storePath);
  try {
    const results = await store.results(runId);
    expect(results.map((result) => [result.modelId, result.caseId, result.sample]).sort()).toEqual(
      cases.map((testCase) => ["model-a", testCase.id, 0]).sort(),
    );
    expect(results.filter((result) => result.error !== null || result.completion === null)).toEqual([]);
  } finally {
    await store.close();
  }
}

describe("clinval run when the server fails", () => {
  it("retries what is worth retrying, records the rest as errors with their cause, and resumes", async () => {
    const cases = makeCases([
      "ok-1",
      "ok-2",
      "recovers",
      "http-500",
      "http-400",
      "timeout",
      "malformed",
      "cut",
      "empty-choices",
    ]);
    let fixed = false;
    const attempts = new Map<string, number>();
    const server = await startServer((request) => {
      const id = caseIdOf(request, cases);
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      if (fixed) return ANSWER;
      switch (id) {
        case "recovers":
          return attempt <= 2 ? { status: 503 } : ANSWER;
        case "http-500":
          return { status: 500 };
        case "http-400":
          // vLLM's error for a prompt that is too long: retrying cannot help.
          return {
            status: 400,
            body: {
              object: "error",
              message: "This model's maximum context length is 4096 tokens.",
              type: "BadRequestError",
              param: null,
              code: 400,
            },
          };
        case "timeout":
          return { delayMs: 120_000 };
        case "malformed":
          return { malformed: true };
        case "cut":
          return { cutMidStream: true };
        case "empty-choices":
          return { emptyChoices: true };
        default:
          return ANSWER;
      }
    });
    const study = await writeStudy("faults", server.url, cases);
    const command = ["run", study, "--store", storePath];

    const first = await runCli(command);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stdout).toMatch(/^Run INCOMPLETE: some jobs ended in errors; run again to resume\.\n/);
    // One call each when it succeeds or cannot succeed (400); 1 + 2 retries for the transient failures.
    expect(countByCase(server.requests, cases)).toEqual({
      "ok-1": 1,
      "ok-2": 1,
      recovers: 3,
      "http-500": 3,
      "http-400": 1,
      timeout: 3,
      malformed: 3,
      cut: 3,
      "empty-choices": 3,
    });
    const incomplete = await readReport();
    const endpoint = `${server.url}/chat/completions`;
    expect(incomplete.run.complete).toBe(false);
    expect(incomplete.errors).toEqual([
      {
        model: "model-a",
        case: "http-500",
        sample: 0,
        cause: `http 500: HTTP 500 from ${endpoint}: scripted failure 500 (after 3 attempts)`,
      },
      {
        model: "model-a",
        case: "http-400",
        sample: 0,
        cause: `http 400: HTTP 400 from ${endpoint}: This model's maximum context length is 4096 tokens. (after 1 attempt)`,
      },
      {
        model: "model-a",
        case: "timeout",
        sample: 0,
        cause: "timeout: no answer within 800 ms (after 3 attempts)",
      },
      {
        model: "model-a",
        case: "malformed",
        sample: 0,
        cause: expect.stringMatching(
          /^malformed: a stream chunk is not a JSON object: \{"id":"chatcmpl-\d+","choices":\[\{"index":0,"delta":\{"content":"1\. Ect \(from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions\) \(after 3 attempts\)$/,
        ),
      },
      {
        model: "model-a",
        case: "cut",
        sample: 0,
        cause: `malformed: the response stream ended without data: [DONE] (cut before its end) (from ${endpoint}) (after 3 attempts)`,
      },
      {
        model: "model-a",
        case: "empty-choices",
        sample: 0,
        cause: `malformed: the response has an empty \`choices\` list (from ${endpoint}) (after 3 attempts)`,
      },
    ]);
    // Errors are not model failures: they are left out of n.
    expect(incomplete.models.map(({ n, outcomes }) => ({ n, outcomes }))).toEqual([
      { n: 3, outcomes: { correct: 3, incorrect: 0, unparseable: 0, truncated: 0, error: 6 } },
    ]);
    const markdown = await readFile(join(folder, "reports", "report.md"), "utf8");
    expect(markdown.split("\n")[0]).toMatch(/^\*\*Run incomplete: 6 of 9 jobs have no answer /);

    fixed = true;
    const before = server.requests.length;
    const second = await runCli(command);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`Resuming run ${incomplete.run.id}: 3 answers already stored.`);
    expect(second.stdout).toMatch(/^Run complete\.\n/);
    // Only the six jobs that failed were asked again, once each.
    expect(countByCase(server.requests.slice(before), cases)).toEqual({
      "http-500": 1,
      "http-400": 1,
      timeout: 1,
      malformed: 1,
      cut: 1,
      "empty-choices": 1,
    });
    const complete = await readReport();
    expect(complete.run).toEqual({ ...incomplete.run, finishedAt: expect.any(String), complete: true });
    expect(complete.errors).toEqual([]);
    expect(complete.models.map(({ n, outcomes }) => ({ n, outcomes }))).toEqual([
      { n: 9, outcomes: { correct: 9, incorrect: 0, unparseable: 0, truncated: 0, error: 0 } },
    ]);
    await expectOneAnswerPerCase(incomplete.run.id, cases);
  });

  it("records a server that is down as connection errors, and resumes once it is up", async () => {
    const cases = makeCases(["a-1", "a-2", "a-3"]);
    const server = await startServer(() => ANSWER);
    // A port with nothing listening: taken from a server that is closed at once.
    const port = await freePort();
    const study = await writeStudy("server-down", `http://127.0.0.1:${port}/v1`, cases);
    const command = ["run", study, "--store", storePath];

    const first = await runCli(command);
    expect(first.code, first.stderr).toBe(1);
    // Nothing answers when the run starts: every job is recorded at once, without retries.
    expect(first.stderr).toMatch(
      /model-a: not reachable \(could not reach .*ECONNREFUSED.*\); its jobs are left for a resume/,
    );
    expect(first.stdout).toMatch(/^Run INCOMPLETE/);
    const incomplete = await readReport();
    expect(incomplete.errors).toEqual(
      cases.map((testCase) => ({
        model: "model-a",
        case: testCase.id,
        sample: 0,
        cause:
          `connection: not reachable when the run started: could not reach http://127.0.0.1:${port}/v1/models: ` +
          `connect ECONNREFUSED 127.0.0.1:${port} (ECONNREFUSED) (after 1 attempt)`,
      })),
    );
    expect(incomplete.models[0].n).toBe(0);
    expect(incomplete.models[0].accuracy).toBeNull();
    expect(server.requests).toHaveLength(0);

    // The server comes up on that port (a TCP relay to the scripted server).
    proxies.push(await relay(port, new URL(server.url).port));
    const second = await runCli(command);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`Resuming run ${incomplete.run.id}: 0 answers already stored.`);
    expect(countByCase(server.requests, cases)).toEqual({ "a-1": 1, "a-2": 1, "a-3": 1 });
    await expectOneAnswerPerCase(incomplete.run.id, cases);
  });
});

describe("Ctrl-C during clinval run", () => {
  it("stops at once, keeps the finished answers, and the resume does not ask for them again", async () => {
    const cases = makeCases(["c-01", "c-02", "c-03", "c-04", "c-05", "c-06", "c-07", "c-08"]);
    const FINISHED_BEFORE_INTERRUPT = 4;
    let hang = true;
    let onHang: () => void = () => {};
    const hanging = new Promise<void>((resolve) => {
      onHang = resolve;
    });
    const server = await startServer(() => {
      if (!hang) return ANSWER;
      // The first answers come quickly; the next call hangs far longer than the test may take.
      if (server.requests.length <= FINISHED_BEFORE_INTERRUPT) return delayed(20, ANSWER);
      onHang();
      return delayed(600_000, ANSWER);
    });
    await writeFile(
      join(folder, "cases.jsonl"),
      cases.map((testCase) => `${JSON.stringify(testCase)}\n`).join(""),
    );
    const study = join(folder, "study.yaml");
    // One call at a time: when call 5 arrives, calls 1–4 are answered and stored.
    await writeFile(study, studyYaml("interrupted", server.url).replace("concurrency: 3", "concurrency: 1"));
    const command = ["run", study, "--store", storePath];

    const child = spawn(process.execPath, [join(projectRoot, "bin", "clinval.js"), ...command], {
      cwd: folder,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = collect(child);
    const exit = exited(child);
    await Promise.race([hanging, exit]);
    expect(server.requests).toHaveLength(FINISHED_BEFORE_INTERRUPT + 1);
    child.kill("SIGINT");
    // The hanging call is abandoned: the process ends long before that call would.
    const ended = await Promise.race([
      exit,
      new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 20_000)),
    ]);
    if (ended === "still running") child.kill("SIGKILL");
    expect(ended, output.stderr()).toEqual({ code: 1, signal: null });
    expect(output.stderr()).toContain(
      "Stopping: finished answers are kept; run the same command again to resume.",
    );
    expect(output.stdout()).toMatch(
      /^Run INCOMPLETE: some jobs were not started or ended in errors; run again to resume\.\n {2}model-a: .*, n = 4, errors 0, not started 4\n/,
    );
    const interrupted = await readReport();
    expect(interrupted.run.complete).toBe(false);
    expect(interrupted.models[0].n).toBe(FINISHED_BEFORE_INTERRUPT);
    const answeredFirst = server.requests
      .slice(0, FINISHED_BEFORE_INTERRUPT)
      .map((request) => caseIdOf(request, cases));

    hang = false;
    const before = server.requests.length;
    const resumed = await runCli(command);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `Resuming run ${interrupted.run.id}: ${FINISHED_BEFORE_INTERRUPT} answers already stored.`,
    );
    const askedAgain = server.requests.slice(before).map((request) => caseIdOf(request, cases));
    expect(askedAgain.filter((id) => answeredFirst.includes(id))).toEqual([]);
    expect([...answeredFirst, ...askedAgain].sort()).toEqual(cases.map((testCase) => testCase.id));
    await expectOneAnswerPerCase(interrupted.run.id, cases);
  });
});

describe("two clinval run processes on one study and one store", () => {
  it("asks the model once per job: the second is refused while the first holds the run", async () => {
    const cases = makeCases(Array.from({ length: 12 }, (_, index) => `dup-${index + 1}`));
    // No answer until one of the two has exited: the other holds the run meanwhile, however slowly either
    // process starts on a busy machine.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await startOpenAICompatibleServer({
      reply: async () => {
        await released;
        return ANSWER;
      },
    });
    servers.push(server);
    const study = await writeStudy("twice", server.url, cases);
    const start = () => {
      const child = spawn(
        process.execPath,
        [join(projectRoot, "bin", "clinval.js"), "run", study, "--store", storePath],
        { cwd: folder, stdio: ["ignore", "pipe", "pipe"] },
      );
      return { output: collect(child), exit: exited(child) };
    };
    const [first, second] = [start(), start()];
    void Promise.race([first.exit, second.exit]).then(release);
    const exits = await Promise.all([first.exit, second.exit]);
    const outputs = [first.output.stderr(), second.output.stderr()];

    expect(countByCase(server.requests, cases)).toEqual(
      Object.fromEntries(cases.map((testCase) => [testCase.id, 1])),
    );
    expect(exits.map((exit) => exit.code).sort()).toEqual([0, 1]);
    const refused = outputs[exits.findIndex((exit) => exit.code === 1)];
    expect(refused).toMatch(
      /^clinval: run \S+ is being run by another clinval \(process \d+ on \S+\); its answers are not asked for twice\. Wait for it to finish, or stop it and run again to resume$/m,
    );
    expect(refused).not.toMatch(/unexpected error|\n\s+at /);
    const runs = JSON.parse((await runCli(["runs", "list", "--json", "--store", storePath])).stdout);
    expect(runs).toHaveLength(1);
    await expectOneAnswerPerCase(runs[0].id, cases);
  });
});

function collect(child: ChildProcess): { stdout(): string; stderr(): string } {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  return { stdout: () => stdout, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** A loopback port that nothing listens on (a server is opened on it and closed). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Listens on `port` and relays every connection to `targetPort`, both on loopback. */
async function relay(port: number, targetPort: string): Promise<Server> {
  const server = createServer((socket) => {
    const target = createConnection(Number(targetPort), "127.0.0.1");
    socket.pipe(target).pipe(socket);
    socket.on("error", () => target.destroy());
    target.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}
