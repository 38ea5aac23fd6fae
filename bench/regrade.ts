/**
 * Re-grading from the store: 100,800 stored diagnosis answers (dx-core's 120 cases × 10 models ×
 * 84 samples, each a top-5 list in JSON or as a numbered list) are written to a libSQL store once,
 * then read back and graded as `clinval report` does, in this process: the terminology loaded from
 * its shipped file, every answer extracted, normalised and put through the grading ladder.
 * Target (issue 8): under 10 s on 2 cores. Results: BENCHMARKS.md.
 *
 *   node --expose-gc --import tsx bench/regrade.ts
 *
 * With BENCH_DIGEST=1 it also prints a SHA-256 of every grade in store order (its hashing is then timed
 * with the grading): a change meant only to make grading faster must leave it unchanged.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DiagnosisCase } from "../src/core/case.ts";
import type { Completion } from "../src/core/chat.ts";
import { studySchema } from "../src/core/study-schema.ts";
import { openStore } from "../src/store/store.ts";
import { hashStudy } from "../src/store/study-hash.ts";
import { builtinSuitePath } from "../src/suites/builtin-suites.ts";
import { loadCaseFile } from "../src/suites/load-case-file.ts";
import { diagnosisTask } from "../src/tasks/diagnosis/diagnosis-task.ts";
import { mulberry32 as random } from "../test/support/mulberry32.ts";

const MODELS = 10;
const SAMPLES = 84;

const suite = await loadCaseFile(builtinSuitePath("dx-core@1"), {
  requiredFields: ["presentation", "diagnosis"],
  id: "dx-core@1",
});
const cases = suite.cases as DiagnosisCase[];
const names = [
  ...new Set(cases.flatMap((item) => [item.diagnosis, ...(item.accept ?? []), ...(item.mustNotMiss ?? [])])),
];
const next = random(2026);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];

/** The ways models write a listed diagnosis: as given, misspelt, excluded, composite, in other case. */
function variant(name: string): string {
  const roll = next();
  if (roll < 0.55) return name;
  if (roll < 0.65) return name.toLowerCase();
  if (roll < 0.72) {
    const at = 1 + Math.floor(next() * (name.length - 2));
    return name.slice(0, at) + name.slice(at + 1);
  }
  if (roll < 0.78) return `${name} (ruled out)`;
  if (roll < 0.85) return `${name} secondary to ${pick(names)}`;
  if (roll < 0.92) return `${name} — ${pick(["most likely", "given the history", "less likely"])}`;
  return `Possible ${name}`;
}

function answerText(testCase: DiagnosisCase): string {
  const listed = Array.from({ length: 5 }, (_, index) =>
    variant(index === Math.floor(next() * 7) ? testCase.diagnosis : pick(names)),
  );
  return next() < 0.5
    ? JSON.stringify({ diagnoses: listed })
    : listed.map((item, index) => `${index + 1}. **${item}**`).join("\n");
}

const folder = mkdtempSync(join(tmpdir(), "clinval-regrade-"));
const study = studySchema.parse({
  name: "regrade-bench",
  task: "diagnosis",
  suite: { id: "dx-core@1" },
  models: Array.from({ length: MODELS }, (_, index) => ({
    id: `m${index}`,
    provider: "ollama",
    model: `m${index}`,
  })),
  samples: SAMPLES,
});
const storePath = join(folder, "store.db");
const writer = await openStore(storePath);
const run = await writer.createRun({
  study: { ...study, file: join(folder, "study.yaml"), output: folder },
  studyHash: hashStudy({ ...study, file: "", output: "" }, suite.sha256),
  suite,
});
let written = 0;
// Saved in groups of 1,000 without waiting for each: the store commits each group in one transaction.
let pending: Array<Promise<void>> = [];
for (let model = 0; model < MODELS; model++) {
  for (const testCase of cases) {
    for (let sample = 0; sample < SAMPLES; sample++) {
      const completion: Completion = {
        text: answerText(testCase),
        reasoning: null,
        finishReason: "stop",
        tokens: { prompt: 200, completion: 60, reasoning: null },
        latencyMs: 1000,
        model: { provider: "ollama", model: `m${model}` },
      };
      pending.push(
        writer.saveResult(run.id, {
          modelId: `m${model}`,
          caseId: testCase.id,
          sample,
          key: `${model}-${testCase.id}-${sample}`,
          completion,
          error: null,
          cached: false,
        }),
      );
      if (pending.length >= 1_000) {
        await Promise.all(pending);
        pending = [];
      }
      written++;
    }
  }
}
await Promise.all(pending);
await writer.close();
(globalThis as { gc?: () => void }).gc?.();

const started = performance.now();
const cpuAtStart = process.cpuUsage();
const store = await openStore(storePath);
const results = await store.results(run.id);
const read = performance.now();
const byId = new Map(cases.map((testCase) => [testCase.id, testCase]));
const rungs = new Map<string, number>();
let correct = 0;
let listed = 0;
const digest = process.env.BENCH_DIGEST === "1" ? createHash("sha256") : undefined;
for (const result of results) {
  const testCase = byId.get(result.caseId);
  if (testCase === undefined || result.completion === null) continue;
  const grade = diagnosisTask.grade(testCase, result.completion, { ...study, file: "", output: "" });
  digest?.update(JSON.stringify(grade));
  if (grade.outcome === "correct") correct++;
  for (const decision of grade.decisions ?? []) {
    listed++;
    rungs.set(decision.rung, (rungs.get(decision.rung) ?? 0) + 1);
  }
}
const graded = performance.now();
const cpu = process.cpuUsage(cpuAtStart);
await store.close();
rmSync(folder, { recursive: true, force: true });

console.log(
  `${written} stored answers (${listed} listed diagnoses): read from the store in ${((read - started) / 1000).toFixed(2)} s, ` +
    `graded in ${((graded - read) / 1000).toFixed(2)} s (terminology load included), ` +
    `total ${((graded - started) / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU; ` +
    `${correct} correct`,
);
console.log(
  `rungs: ${[...rungs]
    .sort((a, b) => b[1] - a[1])
    .map(([rung, count]) => `${rung} ${count}`)
    .join(", ")}`,
);
if (digest !== undefined) console.log(`grades sha256 ${digest.digest("hex")}`);
