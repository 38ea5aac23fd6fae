// npm run bench — runner throughput against an instant loopback OpenAI-compatible server.
// Prints cases/s, per-case overhead, peak memory, the time of a fully cached re-run, and the time to
// rebuild a report from the store. Results are recorded in BENCHMARKS.md.
import { execFileSync, fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DiagnosisCase } from "../src/core/case.ts";
import type { Study } from "../src/core/study.ts";
import { studySchema } from "../src/core/study-schema.ts";
import { createProvider } from "../src/providers/create-provider.ts";
import { runStudy } from "../src/runner/run-study.ts";
import { openStore } from "../src/store/store.ts";
import { createStoreWriter } from "../src/store/store-writer.ts";
import { hashStudy } from "../src/store/study-hash.ts";
import { diagnosisTask } from "../src/tasks/diagnosis/diagnosis-task.ts";

const CASES = Number(process.env.BENCH_CASES ?? 20_000);
const CONCURRENCY = 32;

const child = fork(join(import.meta.dirname, "loopback-server-process.ts"), {
  execArgv: ["--import", "tsx"],
  stdio: "inherit",
});
const url = await new Promise<string>((resolve) =>
  child.once("message", (message) => resolve((message as { url: string }).url)),
);
const directory = mkdtempSync(join(tmpdir(), "clinval-bench-"));

function syntheticCases(count: number): DiagnosisCase[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `case-${index}`,
    presentation: `Case ${index}: a ${20 + (index % 60)}-year-old presents with fever, cough and pleuritic chest pain for ${1 + (index % 9)} days.`,
    diagnosis: index % 2 === 0 ? "Community-acquired pneumonia" : "Pleural effusion",
    specialty: ["internal medicine", "surgery", "neurology", "gynecology", "pediatrics"][index % 5],
  }));
}

async function measure(label: string, study: Study, cases: DiagnosisCase[], storePath: string) {
  const store = await openStore(storePath);
  const suite = { id: "synthetic", source: "bench", sha256: "bench", cases };
  const run = await store.createRun({ study, studyHash: hashStudy(study, "bench"), suite });
  const provider = await createProvider(study.models[0], study);
  const started = performance.now();
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
  await provider.close();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  (globalThis as { gc?: () => void }).gc?.();
  const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;
  console.log(
    `${label}: ${cases.length} cases in ${seconds.toFixed(2)} s = ${Math.round(cases.length / seconds)} cases/s, ` +
      `${((seconds * 1000) / cases.length).toFixed(3)} ms per case, from cache ${summary.fromCache}, ` +
      `complete ${summary.complete}, peak RSS ${rssMb.toFixed(0)} MB, heap after GC ${heapMb.toFixed(1)} MB`,
  );
  return { store, run, suite };
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

try {
  const study = studySchema.parse({
    name: "bench",
    task: "diagnosis",
    suite: { path: "synthetic.jsonl" },
    models: [
      {
        id: "instant",
        provider: "openai",
        baseUrl: url,
        model: "instant-model",
        concurrency: CONCURRENCY,
        retries: 0,
      },
    ],
    subgroups: ["specialty"],
    output: join(directory, "report"),
  }) as Study;
  const storePath = join(directory, "clinval.db");
  const small = await measure(
    "warm-up (memory baseline)",
    study,
    syntheticCases(CASES / 4),
    join(directory, "small.db"),
  );
  await small.store.close();
  const first = await measure("first run", study, syntheticCases(CASES), storePath);
  await first.store.close();
  const cached = await measure("cached re-run", study, syntheticCases(CASES), storePath);
  await cached.store.close();
  await reportRebuild(url, directory);
} finally {
  child.disconnect();
  rmSync(directory, { recursive: true, force: true });
}
