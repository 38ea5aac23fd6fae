/**
 * Grading time against answer length: one answer of each shape at growing sizes, graded as a diagnosis
 * study grades it (extraction, normalisation, terminology). Every pass is meant to be linear, so the
 * time per megabyte stays flat as the size grows. Results: BENCHMARKS.md.
 *
 *   node --import tsx bench/grading-length.ts [largest size in MB, default 4] [shape name filter]
 */
import type { DiagnosisCase } from "../src/core/case.ts";
import type { Completion } from "../src/core/chat.ts";
import { gradeDiagnosis } from "../src/tasks/diagnosis/grade.ts";
import { defaultTerminology } from "../src/terminology/load-terminology.ts";
import { ADVERSARIAL_SHAPES } from "../test/support/adversarial-answers.ts";

const largest = Number(process.argv[2] ?? 4) * 1024 * 1024;
const testCase: DiagnosisCase = { id: "bench", presentation: "…", diagnosis: "Acute appendicitis" };

function completion(text: string): Completion {
  return {
    text,
    reasoning: null,
    finishReason: "stop",
    tokens: { prompt: 0, completion: 0, reasoning: null },
    latencyMs: 0,
    model: { provider: "bench", model: "bench" },
  };
}

defaultTerminology();
const sizes: number[] = [];
for (let size = 256 * 1024; size <= largest; size *= 2) sizes.push(size);
console.log(
  `| shape | ${sizes.map((size) => `${size / 1024 / 1024} MB`).join(" | ")} | ms per MB, smallest → largest |`,
);
console.log(`|---|${sizes.map(() => "---:").join("|")}|---|`);
const only = process.argv[3];
for (const [name, make] of Object.entries(ADVERSARIAL_SHAPES)) {
  if (only !== undefined && !name.includes(only)) continue;
  const times = sizes.map((size) => {
    const text = make(size);
    const start = performance.now();
    gradeDiagnosis(testCase, completion(text), { topK: 5 });
    return performance.now() - start;
  });
  const perMegabyte = times.map((time, index) => time / (sizes[index] / 1024 / 1024));
  console.log(
    `| ${name} | ${times.map((time) => `${time.toFixed(0)} ms`).join(" | ")} | ${perMegabyte[0].toFixed(0)} → ${perMegabyte.at(-1)?.toFixed(0)} |`,
  );
}
