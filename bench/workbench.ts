// npm run bench:workbench — the workbench on a store with 100,000 answers
// (5 models × 20,000 diagnosis cases, each with reasoning). Times, over real HTTP on loopback: the first
// request (which grades and analyses every answer once), then the case table's first page, a filtered
// page, and case pages. Results are recorded in BENCHMARKS.md.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DiagnosisCase } from "../src/core/case.ts";
import { studySchema } from "../src/core/study-schema.ts";
import type { JobResult } from "../src/runner/job-result.ts";
import { startWorkbench } from "../src/server/serve.ts";
import { openStore } from "../src/store/store.ts";

const CASES = Number(process.env.BENCH_CASES ?? 20_000);
const MODELS = ["r1-8b", "r1-14b", "llama31-8b", "qwen25-14b", "mistral-7b"];
const REPEATS = 30;

const DIAGNOSES = [
  [
    "Community-acquired pneumonia",
    "Pulmonary embolism",
    "Acute bronchitis",
    "Pleural effusion",
    "Lung cancer",
  ],
  [
    "Acute appendicitis",
    "Ectopic pregnancy",
    "Ovarian torsion",
    "Mesenteric adenitis",
    "Urinary tract infection",
  ],
  ["Subarachnoid haemorrhage", "Migraine", "Tension-type headache", "Bacterial meningitis", "Sinusitis"],
];

function caseFor(index: number): DiagnosisCase {
  const names = DIAGNOSES[index % DIAGNOSES.length];
  return {
    id: `case-${index}`,
    presentation:
      `Case ${index}: a ${20 + (index % 60)}-year-old presents with symptoms for ${1 + (index % 9)} days. `.repeat(
        6,
      ),
    diagnosis: names[0],
    specialty: ["internal medicine", "surgery", "neurology", "gynecology", "pediatrics"][index % 5],
    incidence: ["frequent", "less frequent", "rare"][index % 3],
    redFlags: ["sudden onset", "low blood pressure"],
    mustNotMiss: [names[1], names[0]],
  };
}

function resultFor(modelIndex: number, testCase: DiagnosisCase, index: number): JobResult {
  const names = DIAGNOSES[index % DIAGNOSES.length];
  const shift = (index + modelIndex) % 5;
  const listed = [...names.slice(shift), ...names.slice(0, shift)];
  const reasoning = `Considering ${listed[2]} and ${names[0]}; the sudden onset matters. `.repeat(25);
  return {
    modelId: MODELS[modelIndex],
    caseId: testCase.id,
    sample: 0,
    key: `${modelIndex}/${testCase.id}`,
    completion: {
      text: listed.map((name, rank) => `${rank + 1}. ${name}`).join("\n"),
      reasoning,
      finishReason: "stop",
      tokens: { prompt: 210, completion: 420, reasoning: 380 },
      latencyMs: 2000 + (index % 700),
      model: { provider: "ollama", model: MODELS[modelIndex] },
    },
    error: null,
    cached: false,
  };
}

const directory = mkdtempSync(join(tmpdir(), "clinval-bench-workbench-"));
const store = await openStore(join(directory, "clinval.db"));
const cases = Array.from({ length: CASES }, (_, index) => caseFor(index));
const study = studySchema.parse({
  name: "workbench-bench",
  task: "diagnosis",
  suite: { id: "synthetic" },
  models: MODELS.map((id) => ({ id, provider: "ollama", model: id })),
  subgroups: ["specialty", "incidence"],
  output: join(directory, "reports"),
});
const run = await store.createRun({
  study,
  studyHash: "bench",
  suite: { id: "synthetic", source: "bench", sha256: "bench", cases },
});
let started = performance.now();
const writes: Promise<void>[] = [];
for (let modelIndex = 0; modelIndex < MODELS.length; modelIndex++) {
  for (const [index, testCase] of cases.entries())
    writes.push(store.saveResult(run.id, resultFor(modelIndex, testCase, index)));
}
await Promise.all(writes);
await store.finishRun(run.id, { complete: true });
console.log(
  `store: ${MODELS.length * CASES} answers written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

const workbench = await startWorkbench({ store, host: "127.0.0.1", port: 0 });
async function time(path: string): Promise<number> {
  const begun = performance.now();
  // A reviewer named, so that pages show their forms (the review queue shows its pairs only then).
  const response = await fetch(`${workbench.url}${path}`, { headers: { Cookie: "clinval_reviewer=bench" } });
  await response.text();
  if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
  return performance.now() - begun;
}
function summary(label: string, times: number[]): void {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  console.log(
    `${label}: median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms (${times.length} requests)`,
  );
}

started = performance.now();
const first = await time(`runs/${run.id}/cases`);
console.log(
  `first request (grades and analyses all ${MODELS.length * CASES} answers once): ${(first / 1000).toFixed(1)} s`,
);
const casesPage: number[] = [];
const filtered: number[] = [];
const casePages: number[] = [];
for (let repeat = 0; repeat < REPEATS; repeat++) {
  casesPage.push(await time(`runs/${run.id}/cases`));
  filtered.push(
    await time(
      `runs/${run.id}/cases?outcome=incorrect&flag=priority-inversion&subgroup=specialty%3Dneurology&page=3`,
    ),
  );
  casePages.push(await time(`runs/${run.id}/cases/case-${(repeat * 7919) % CASES}`));
}
const firstQueue = await time(`runs/${run.id}/review`);
console.log(
  `review queue, first request (lists the pending pairs of every answer once): ${(firstQueue / 1000).toFixed(1)} s`,
);
const queue: number[] = [];
for (let repeat = 0; repeat < REPEATS; repeat++) queue.push(await time(`runs/${run.id}/review`));
summary("review queue", queue);
summary("case table, first page", casesPage);
summary("case table, filtered, page 3", filtered);
summary("case page (5 models)", casePages);
(globalThis as { gc?: () => void }).gc?.();
console.log(
  `heap after GC with the analysis cached: ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MB; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
await workbench.close();
await store.close();
rmSync(directory, { recursive: true, force: true });
