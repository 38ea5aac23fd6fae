// Selects the lists of bench/grading/benchmark.jsonl the project labels itself (see RULES.md) and writes them,
// without any verdict, to to-label.jsonl: `npx tsx bench/grading/project-labels/select-sample.ts`.
// 1,000 lists, seed 20261204, quotas proportional to the datasets' sizes (largest remainders), exact
// repeats of (reference, answers) skipped; the method is selectSample in sample.ts.
import { writeFileSync } from "node:fs";
import { InputError } from "../../../src/core/errors.ts";
import { loadBenchmark } from "../benchmark-file.ts";
import { TO_LABEL_FILE } from "./label-files.ts";
import { SAMPLE_SEED, SAMPLE_SIZE, selectSample } from "./sample.ts";

function main(): void {
  const sample = selectSample(loadBenchmark(), SAMPLE_SIZE, SAMPLE_SEED);
  writeFileSync(TO_LABEL_FILE, `${sample.map((item) => JSON.stringify(item)).join("\n")}\n`);
  process.stdout.write(`${sample.length} lists written to to-label.jsonl\n`);
}

try {
  main();
} catch (error) {
  if (!(error instanceof InputError)) throw error;
  process.stderr.write(`select-sample: ${error.describe()}\n`);
  process.exitCode = 2;
}
