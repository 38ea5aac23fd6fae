// npm run bench:grading — how well the project's diagnosis grading agrees with an independent reference:
// the judged model answers of bench/grading/benchmark.jsonl (see bench/grading/SOURCE.md). Prints, for strict
// and lenient grading, Cohen's kappa with a 95 % interval, the grader's and the reference's positive rates,
// the 2×2 table, and the disagreements sorted by how the answer's words relate to the reference's.
// Results are recorded in BENCHMARKS.md. Optional argument: another benchmark file of the same format.
import { InputError } from "../src/core/errors.ts";
import { percent } from "../src/report/format.ts";
import { SeededRandom } from "../src/stats/index.ts";
import {
  type Agreement,
  measureAgreement,
  type RatedItem,
  WORD_RELATIONS,
  type WordRelation,
  wordRelation,
} from "./grading/agreement.ts";
import { BENCHMARK_FILE, type BenchmarkCase, loadBenchmark } from "./grading/benchmark-file.ts";
import { type GraderDecision, gradeWithProject } from "./grading/grader-adapter.ts";

const EXAMPLES = 6;
const GRADINGS = ["strict", "lenient"] as const;
type Grading = (typeof GRADINGS)[number];

interface GradedCase {
  testCase: BenchmarkCase;
  /** The reference verdict under the view being measured; null when the view leaves the case out. */
  reference: boolean | null;
  decision: GraderDecision;
}

/**
 * Two readings of the reference: any match it accepts, or only the reference itself named among the answers
 * (the cases it calls a looser match are left out). Strict grading should be compared with the second.
 */
const VIEWS = [
  {
    name: "any-match verdict",
    verdict: (testCase: BenchmarkCase) => testCase.verdict.case === "correct",
  },
  {
    name: "exact-match verdict",
    verdict: (testCase: BenchmarkCase) =>
      testCase.verdict.exactMatch === null ? null : testCase.verdict.exactMatch === "correct",
  },
] as const;

interface RuledOutAnswer {
  testCase: BenchmarkCase;
  answer: string;
  decision: GraderDecision;
}

function describeAgreement(title: string, agreement: Agreement): string {
  const { confusion: table, kappa } = agreement;
  const kappaText =
    kappa === null
      ? "undefined"
      : `${kappa.estimate.toFixed(3)} (95% CI ${kappa.lower.toFixed(3)} to ${kappa.upper.toFixed(3)})`;
  return [
    `${title}: n = ${agreement.n}`,
    `  Cohen's kappa ${kappaText}, observed agreement ${percent(agreement.observedAgreement)}%`,
    `  grader counts ${percent(agreement.graderPositiveRate)}% correct, reference ${percent(agreement.referencePositiveRate)}%: gap ${agreement.gap > 0 ? "+" : ""}${percent(agreement.gap)} points`,
    "                        reference correct  reference incorrect",
    `  grader correct    ${String(table.bothCorrect).padStart(19)}  ${String(table.graderOnly).padStart(19)}`,
    `  grader incorrect  ${String(table.referenceOnly).padStart(19)}  ${String(table.neither).padStart(19)}`,
  ].join("\n");
}

function pick<T>(items: readonly T[], count: number, random: SeededRandom): T[] {
  const pool = [...items];
  const chosen: T[] = [];
  while (chosen.length < count && pool.length > 0)
    chosen.push(...pool.splice(random.nextInt(pool.length), 1));
  return chosen;
}

/** The listed answer whose words come closest to the reference's, and how close. */
function closestAnswer(testCase: BenchmarkCase): { answer: string; relation: WordRelation } {
  let best = { answer: testCase.answers[0].text, relation: "no-shared-words" as WordRelation };
  for (const { text } of testCase.answers) {
    const relation = wordRelation(text, namesOf(testCase));
    if (WORD_RELATIONS.indexOf(relation) < WORD_RELATIONS.indexOf(best.relation))
      best = { answer: text, relation };
  }
  return best;
}

function describeCaseDisagreements(graded: readonly GradedCase[], grading: Grading, view: string): string {
  const lines: string[] = [
    `  Disagreements with the ${view}, by how the closest listed answer's words relate to the reference's:`,
  ];
  const directions = [
    { title: "grader incorrect, reference correct", referenceCorrect: true },
    { title: "grader correct, reference incorrect", referenceCorrect: false },
  ];
  for (const direction of directions) {
    const disagreeing = graded.filter(
      (item) => item.decision[grading] !== item.reference && item.reference === direction.referenceCorrect,
    );
    const counts = new Map<WordRelation, number>(WORD_RELATIONS.map((relation) => [relation, 0]));
    for (const item of disagreeing) {
      const { relation } = closestAnswer(item.testCase);
      counts.set(relation, (counts.get(relation) ?? 0) + 1);
    }
    const breakdown = WORD_RELATIONS.map((relation) => `${relation} ${counts.get(relation)}`).join(", ");
    lines.push(`  ${direction.title}: ${disagreeing.length} (${breakdown})`);
    for (const item of pick(disagreeing, EXAMPLES, new SeededRandom(7))) {
      const closest = closestAnswer(item.testCase);
      lines.push(
        `    - [${closest.relation}] reference "${item.testCase.reference}" / closest answer "${closest.answer}" (${item.testCase.dataset}, ${item.testCase.model})`,
      );
    }
  }
  return lines.join("\n");
}

/**
 * Strict grading never credits a broader name (the judge often does): agreement with that policy made
 * visible, beside the headline kappa and never in its place. Cases in which strict grading found no match
 * but a broader name are a third category; the kappa is shown with them left out, once as the terminology
 * sees them (rung `broader`) and once by words (the closest answer's words are a part of the reference's).
 */
function describeBroaderPolicy(graded: readonly GradedCase[]): string {
  const measured = (subset: readonly GradedCase[]) => {
    const agreement = measureAgreement(
      subset.map((item) => ({
        reference: item.reference === true,
        grader: item.decision.strict,
        cluster: item.testCase.reference.toLowerCase(),
      })),
    );
    const kappa = agreement.kappa;
    return kappa === null
      ? "undefined"
      : `${kappa.estimate.toFixed(3)} (95% CI ${kappa.lower.toFixed(3)} to ${kappa.upper.toFixed(3)}), n = ${agreement.n}`;
  };
  const byTerminology = graded.filter((item) => !item.decision.broader);
  const byWords = byTerminology.filter(
    (item) => item.decision.strict || closestAnswer(item.testCase).relation !== "answer-broader",
  );
  const rows = [
    { name: "correct", test: (item: GradedCase) => item.decision.strict },
    { name: "broader", test: (item: GradedCase) => item.decision.broader },
    { name: "incorrect", test: (item: GradedCase) => !item.decision.strict && !item.decision.broader },
  ];
  const count = (test: (item: GradedCase) => boolean, reference: boolean) =>
    graded.filter((item) => test(item) && item.reference === reference).length;
  return [
    "  Broader names as their own category (a breakdown of the policy; the kappa above is the measure):",
    "                        reference correct  reference incorrect",
    ...rows.map(
      (row) =>
        `  grader ${row.name.padEnd(10)} ${String(count(row.test, true)).padStart(19)}  ${String(count(row.test, false)).padStart(19)}`,
    ),
    `  kappa without the ${graded.length - byTerminology.length} cases strict grading calls broader (terminology): ${measured(byTerminology)}`,
    `  kappa also without the ${byTerminology.length - byWords.length} more whose closest answer is broader by words: ${measured(byWords)}`,
  ].join("\n");
}

function describeRuledOut(answers: readonly RuledOutAnswer[], grading: Grading): string {
  const credited = answers.filter((item) => item.decision[grading]);
  const lines = [
    `Answers the reference ruled out (every listed answer of a case judged P0): n = ${answers.length}`,
    `  grader credits ${credited.length} (${percent(credited.length / answers.length)}%)`,
  ];
  for (const item of pick(credited, EXAMPLES, new SeededRandom(7))) {
    lines.push(
      `    - reference "${item.testCase.reference}" / answer "${item.answer}" (${item.testCase.dataset}, ${item.testCase.model})`,
    );
  }
  return lines.join("\n");
}

function namesOf(testCase: BenchmarkCase): string[] {
  return [testCase.reference, ...testCase.accept];
}

function referenceNames(testCase: BenchmarkCase) {
  return { diagnosis: testCase.reference, accept: testCase.accept };
}

function main(): void {
  const file = process.argv[2] ?? BENCHMARK_FILE;
  const started = performance.now();
  const cases = loadBenchmark(file);
  const decisions = cases.map((testCase) =>
    gradeWithProject(
      testCase.answers.map((answer) => answer.text),
      referenceNames(testCase),
    ),
  );
  const ruledOut: RuledOutAnswer[] = cases.flatMap((testCase) =>
    testCase.answers
      .filter((answer) => answer.verdict === "incorrect")
      .map((answer) => ({
        testCase,
        answer: answer.text,
        decision: gradeWithProject([answer.text], referenceNames(testCase)),
      })),
  );
  const gradedIn = performance.now() - started;
  const answerCount = cases.reduce((sum, testCase) => sum + testCase.answers.length, 0);
  const output: string[] = [
    `Grading agreement with ${file}`,
    `${cases.length} judged cases (${new Set(cases.map((testCase) => testCase.caseId)).size} vignettes, ${new Set(cases.map((testCase) => testCase.reference.toLowerCase())).size} reference diagnoses, ${new Set(cases.map((testCase) => `${testCase.dataset}/${testCase.model}`)).size} model runs), ${answerCount} listed answers; graded in ${(gradedIn / 1000).toFixed(1)} s`,
    "A case is correct when the reference diagnosis is among its listed answers (at most five).",
    "Intervals: 95% bootstrap (BCa, 2,000 resamples, seed 1) resampling reference diagnoses, since each is answered many times.",
    "",
  ];
  for (const grading of GRADINGS) {
    output.push(`== ${grading} grading`);
    for (const view of VIEWS) {
      const graded: GradedCase[] = cases
        .map((testCase, index) => ({
          testCase,
          reference: view.verdict(testCase),
          decision: decisions[index],
        }))
        .filter((item) => item.reference !== null);
      const items: RatedItem[] = graded.map((item) => ({
        reference: item.reference === true,
        grader: item.decision[grading],
        cluster: item.testCase.reference.toLowerCase(),
      }));
      output.push(describeAgreement(`Cases against the reference's ${view.name}`, measureAgreement(items)));
      output.push("  by dataset:");
      for (const dataset of [...new Set(cases.map((testCase) => testCase.dataset))].sort()) {
        const subset = items.filter((_, index) => graded[index].testCase.dataset === dataset);
        if (subset.length < 2) continue;
        const measured = measureAgreement(subset);
        const kappa = measured.kappa === null ? "undefined" : measured.kappa.estimate.toFixed(3);
        output.push(
          `    ${dataset.padEnd(22)} n ${String(measured.n).padStart(5)}  kappa ${kappa}  grader ${percent(measured.graderPositiveRate)}%  reference ${percent(measured.referencePositiveRate)}%`,
        );
      }
      output.push(describeCaseDisagreements(graded, grading, view.name));
      if (grading === "strict") output.push(describeBroaderPolicy(graded));
    }
    output.push(describeRuledOut(ruledOut, grading));
    output.push("");
  }
  process.stdout.write(`${output.join("\n")}\n`);
}

try {
  main();
} catch (error) {
  if (!(error instanceof InputError)) throw error;
  process.stderr.write(`bench:grading: ${error.describe()}\n`);
  process.exitCode = 2;
}
