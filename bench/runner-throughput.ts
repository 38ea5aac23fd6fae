// npm run bench — runner throughput against loopback OpenAI-compatible servers (one instant, one that
// answers in 100 ms), each beside a bare node:http client with the same concurrency and agent settings.
// Prints cases/s, per-case overhead and CPU time, peak memory, the time of a fully cached re-run, and the
// time to rebuild a report from the store. Results are recorded in BENCHMARKS.md.
import { execFileSync, fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DiagnosisCase } from "../src/core/case.ts";
import type { Study } from "../src/core/study.ts";
import { studySchema } from "../src/core/study-schema.ts";
import { createProvider } from "../src/providers/create-provider.ts";
import { chatRequestBody } from "../src/providers/openai-compatible/openai-compatible-provider.ts";
import { runStudy } from "../src/runner/run-study.ts";
import { openStore } from "../src/store/store.ts";
import { createStoreWriter } from "../src/store/store-writer.ts";
import { hashStudy } from "../src/store/study-hash.ts";
import { diagnosisTask } from "../src/tasks/diagnosis/diagnosis-task.ts";

const CASES = Number(process.env.BENCH_CASES ?? 20_000);
const CONCURRENCY = 32;

const LATENCY_CASES = Number(process.env.BENCH_LATENCY_CASES ?? 5_000);

function startServer(latencyMs: number) {
  const child = fork(join(import.meta.dirname, "loopback-server-process.ts"), [String(latencyMs)], {
    execArgv: ["--import", "tsx"],
    stdio: "inherit",
  });
  const url = new Promise<string>((resolve) =>
    child.once("message", (message) => resolve((message as { url: string }).url)),
  );
  return { child, url };
}
const instantServer = startServer(0);
const slowServer = startServer(100);
const url = await instantServer.url;
const slowUrl = await slowServer.url;
const directory = mkdtempSync(join(tmpdir(), "clinval-bench-"));

function syntheticCases(count: number): DiagnosisCase[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `case-${index}`,
    presentation: `Case ${index}: a ${20 + (index % 60)}-year-old presents with fever, cough and pleuritic chest pain for ${1 + (index % 9)} days.`,
    diagnosis: index % 2 === 0 ? "Community-acquired pneumonia" : "Pleural effusion",
    specialty: ["internal medicine", "surgery", "neurology", "gynecology", "pediatrics"][index % 5],
  }));
}

/**
 * CPU time of this process (every thread: the store's writer too, not the server's process) per item since
 * `before`, in µs. Less sensitive than wall time to what else runs on a shared machine.
 */
function cpuPerItem(before: NodeJS.CpuUsage, items: number): string {
  const used = process.cpuUsage(before);
  return ((used.user + used.system) / items).toFixed(0);
}

/**
 * The same requests as the runner sends, from a bare node:http client: a keep-alive agent with LIFO
 * scheduling (the providers' settings), `concurrency` requests at once, each body read to its end.
 */
async function bareClient(label: string, study: Study, cases: DiagnosisCase[], baseUrl: string) {
  const agent = new Agent({ keepAlive: true, scheduling: "lifo" });
  const target = new URL(`${baseUrl}/chat/completions`);
  const spec = study.models[0];
  const responseSchema = diagnosisTask.responseSchema(study as never);
  const bodies = cases.map((testCase) =>
    chatRequestBody(spec, {
      messages: diagnosisTask.prompt(testCase as never, study as never),
      params: {},
      responseSchema,
    }),
  );
  const post = (body: Record<string, unknown>) =>
    new Promise<void>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const outgoing = request(
        target,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": String(Buffer.byteLength(payload)),
            accept: "text/event-stream",
          },
        },
        (response) => {
          response.on("data", () => {});
          response.on("end", resolve);
          response.on("error", reject);
        },
      );
      outgoing.on("error", reject);
      outgoing.end(payload);
    });
  let next = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) await post(bodies[next++]);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuPerItem(cpuBefore, cases.length);
  agent.destroy();
  console.log(
    `${label}: ${cases.length} requests in ${seconds.toFixed(2)} s = ${Math.round(cases.length / seconds)} requests/s, ` +
      `CPU ${cpu} µs per request`,
  );
  return seconds;
}

async function measure(label: string, study: Study, cases: DiagnosisCase[], storePath: string) {
  const store = await openStore(storePath);
  const suite = { id: "synthetic", source: "bench", sha256: "bench", cases };
  const run = await store.createRun({ study, studyHash: hashStudy(study, "bench"), suite });
  const provider = await createProvider(study.models[0], study);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const summary = await runStudy({
    runId: run.id,
    study,
    cases,
    task: diagnosisTask as never,
    providers: new Map([[study.models[0].id, provider]]),
    cache: store,
    observers: [createStoreWriter(store)],
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuPerItem(cpuBefore, cases.length);
  await provider.close();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  (globalThis as { gc?: () => void }).gc?.();
  const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;
  console.log(
    `${label}: ${cases.length} cases in ${seconds.toFixed(2)} s = ${Math.round(cases.length / seconds)} cases/s, ` +
      `${((seconds * 1000) / cases.length).toFixed(3)} ms per case, CPU ${cpu} µs per case, from cache ${summary.fromCache}, ` +
      `complete ${summary.complete}, peak RSS ${rssMb.toFixed(0)} MB, heap after GC ${heapMb.toFixed(1)} MB`,
  );
  return { store, run, suite, seconds };
}

/** A 4-model run of the built-in dx-core suite, then `clinval report` timed as a whole command. */
async function reportRebuild(baseUrl: string, folder: string) {
  const studyPath = join(folder, "report-study.yaml");
  const models = ["a", "b", "c", "d"]
    .map(
      (name) =>
        `  - { id: model-${name}, provider: openai, baseUrl: "${baseUrl}", model: m-${name}, concurrency: 8 }`,
    )
    .join("\n");
  writeFileSync(
    studyPath,
    `name: report-bench\ntask: diagnosis\nsuite: { id: dx-core }\nmodels:\n${models}\nsubgroups: [incidence, specialty]\noutput: ./report\n`,
  );
  const bin = join(import.meta.dirname, "..", "bin", "clinval.js");
  const store = join(folder, "report.db");
  execFileSync(process.execPath, [bin, "run", studyPath, "--store", store], { stdio: "ignore" });
  const timings: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = performance.now();
    execFileSync(process.execPath, [bin, "report", "latest", "--store", store], { stdio: "ignore" });
    timings.push((performance.now() - started) / 1000);
  }
  console.log(
    `clinval report (120 cases × 4 models, 2 subgroup fields, whole command): ${timings.map((time) => time.toFixed(2)).join(" s, ")} s`,
  );
}

function benchStudy(baseUrl: string): Study {
  return studySchema.parse({
    name: "bench",
    task: "diagnosis",
    suite: { path: "synthetic.jsonl" },
    models: [
      {
        id: "instant",
        provider: "openai",
        baseUrl,
        model: "instant-model",
        concurrency: CONCURRENCY,
        retries: 0,
      },
    ],
    subgroups: ["specialty"],
    output: join(directory, "report"),
  }) as Study;
}

try {
  const study = benchStudy(url);
  const storePath = join(directory, "clinval.db");
  const small = await measure(
    "warm-up (memory baseline)",
    study,
    syntheticCases(CASES / 4),
    join(directory, "small.db"),
  );
  await small.store.close();
  await bareClient("bare client, instant server", study, syntheticCases(CASES), url);
  const first = await measure("first run", study, syntheticCases(CASES), storePath);
  await first.store.close();
  const cached = await measure("cached re-run", study, syntheticCases(CASES), storePath);
  await cached.store.close();

  const slowStudy = benchStudy(slowUrl);
  const slowCases = syntheticCases(LATENCY_CASES);
  const bare = await bareClient("bare client, 100 ms server", slowStudy, slowCases, slowUrl);
  const runner = await measure("first run, 100 ms server", slowStudy, slowCases, join(directory, "slow.db"));
  await runner.store.close();
  console.log(
    `100 ms server, ${LATENCY_CASES} cases at concurrency ${CONCURRENCY}: clinval ${runner.seconds.toFixed(2)} s, ` +
      `bare client ${bare.toFixed(2)} s, clinval at ${((bare / runner.seconds) * 100).toFixed(1)} % of the bare client's throughput`,
  );
  await reportRebuild(url, directory);
} finally {
  instantServer.child.disconnect();
  slowServer.child.disconnect();
  rmSync(directory, { recursive: true, force: true });
}
