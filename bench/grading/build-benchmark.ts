// Builds bench/grading/benchmark.jsonl from the evaluation files of foundation29org/dxgpt_testing.
//   npx tsx bench/grading/build-benchmark.ts --data <the repository's data/ folder> --commit <sha> [--out FILE]
// See SOURCE.md for the release used, what is kept and why.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { InputError } from "../../src/core/errors.ts";
import { parseCsvWithHeader } from "../../src/suites/parse-csv.ts";
import { BENCHMARK_FILE, type BenchmarkCase, benchmarkCaseSchema, type Verdict } from "./benchmark-file.ts";
import { extractListedDiagnoses, parseJudgeScore, parseReferenceNames } from "./dxgpt-files.ts";

/**
 * The datasets taken, by file-name prefix (longest first). Left out: the Spanish emergency-department sets
 * (URG_Torre_*), whose reference column is a free-text Spanish case summary, and the first synthetic round
 * (`scores.csv`, `_nov`, `_turbo`), whose references are Spanish names.
 */
const DATASETS: ReadonlyArray<{ prefix: string; dataset: string }> = [
  { prefix: "medisearch_v2_", dataset: "synthetic-medisearch" },
  { prefix: "claude_v2_", dataset: "synthetic-claude" },
  { prefix: "PUMCH_ADM_", dataset: "PUMCH" },
  { prefix: "RAMEDIS_", dataset: "RAMEDIS" },
  { prefix: "v2_", dataset: "synthetic-gpt4" },
];

/** The judge was asked about five predictions (P1–P5), so only the first five listed answers are kept. */
const JUDGED_ANSWERS = 5;

interface Skipped {
  referenceMismatch: number;
  unreadableScore: number;
  noReference: number;
  noListFound: number;
}

function readCsv(file: string, columns: readonly string[]): Array<Record<string, string>> {
  const { columns: found, rows } = parseCsvWithHeader(readFileSync(file, "utf8"), file);
  for (const column of columns) {
    if (!found.includes(column)) throw new InputError(`has no column "${column}"`, { file, line: 1 });
  }
  return rows.map(({ row }) => row);
}

function buildRun(
  dataDirectory: string,
  scoresFile: string,
  dataset: string,
  model: string,
  commit: string,
  skipped: Skipped,
): BenchmarkCase[] {
  const diagnosesFile = scoresFile.replace(/^scores_/, "diagnoses_");
  const scores = readCsv(join(dataDirectory, scoresFile), ["GT", "Score"]);
  const diagnoses = readCsv(join(dataDirectory, diagnosesFile), ["GT", "Diagnosis 1"]);
  const cases: BenchmarkCase[] = [];
  for (const [index, scored] of scores.entries()) {
    const answered = diagnoses[index];
    if (answered === undefined || answered.GT.trim() !== scored.GT.trim()) {
      skipped.referenceMismatch++;
      continue;
    }
    const score = parseJudgeScore(scored.Score);
    if (score === null) {
      skipped.unreadableScore++;
      continue;
    }
    const [reference, ...accept] = parseReferenceNames(scored.GT);
    if (reference === undefined) {
      skipped.noReference++;
      continue;
    }
    const listed = extractListedDiagnoses(answered["Diagnosis 1"]).slice(0, JUDGED_ANSWERS);
    if (listed.length === 0) {
      skipped.noListFound++;
      continue;
    }
    cases.push({
      source: `dxgpt_testing@${commit}:data/${scoresFile}`,
      dataset,
      model,
      caseId: `${dataset}-${String(index + 1).padStart(3, "0")}`,
      reference,
      accept,
      answers: listed.map((text, position) => ({ rank: position + 1, text, verdict: answerVerdict(score) })),
      verdict: {
        kind: "judge",
        case: score === "P0" ? "incorrect" : "correct",
        exactMatch: score === "P0" ? "incorrect" : score === "P5" ? null : "correct",
        label: score,
      },
    });
  }
  return cases;
}

/**
 * What the case score says about one answer: P0 (none of the listed diagnoses is the reference) makes every
 * answer incorrect. The other scores name no single answer: the judge gives P1 for an exact match at any
 * rank as often as for the first answer, and P5 for any looser match.
 */
function answerVerdict(score: string): Verdict | null {
  return score === "P0" ? "incorrect" : null;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      commit: { type: "string" },
      out: { type: "string", default: BENCHMARK_FILE },
    },
  });
  if (values.data === undefined || !existsSync(values.data)) {
    throw new InputError("needs --data, the data/ folder of foundation29org/dxgpt_testing", {
      field: "data",
    });
  }
  if (values.commit === undefined || !/^[0-9a-f]{40}$/.test(values.commit)) {
    throw new InputError("needs --commit, the 40-hex commit the data/ folder was taken from", {
      field: "commit",
    });
  }
  const skipped: Skipped = { referenceMismatch: 0, unreadableScore: 0, noReference: 0, noListFound: 0 };
  const cases: BenchmarkCase[] = [];
  const files = readdirSync(values.data)
    .filter((file) => file.startsWith("scores_") && file.endsWith(".csv"))
    .sort();
  for (const scoresFile of files) {
    const run = scoresFile.slice("scores_".length, -".csv".length);
    const match = DATASETS.find(({ prefix }) => run.startsWith(prefix));
    if (match === undefined) continue;
    if (!existsSync(join(values.data, scoresFile.replace(/^scores_/, "diagnoses_")))) continue;
    const model = run.slice(match.prefix.length);
    cases.push(
      ...buildRun(values.data, scoresFile, match.dataset, model, values.commit.slice(0, 7), skipped),
    );
  }
  for (const built of cases) benchmarkCaseSchema.parse(built);
  writeFileSync(values.out, `${cases.map((built) => JSON.stringify(built)).join("\n")}\n`);
  const pairs = cases.flatMap((built) => built.answers).filter((answer) => answer.verdict !== null).length;
  process.stdout.write(
    `${cases.length} judged cases, ${pairs} judged (reference, answer) pairs written to ${values.out}\n` +
      `skipped: ${JSON.stringify(skipped)}\n`,
  );
}

try {
  main();
} catch (error) {
  if (!(error instanceof InputError)) throw error;
  process.stderr.write(`build-benchmark: ${error.describe()}\n`);
  process.exitCode = 2;
}
