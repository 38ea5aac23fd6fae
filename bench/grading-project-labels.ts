// npm run bench:grading-labels — how the project's diagnosis grading, and the published judge, agree with the
// project's own labels of 1,000 real model answer lists (bench/grading/project-labels/, labelled blind under
// RULES.md). Prints Cohen's kappa with the same cluster-bootstrap interval as bench:grading, positive rates,
// the 2×2 tables and the three-way label against each grading; writes the strict disagreements, grouped by
// label and by how the closest answer's words relate to the reference's, to
// bench/grading/project-labels/strict-disagreements.txt. Results are recorded in BENCHMARKS.md.
import { writeFileSync } from "node:fs";
import { InputError } from "../src/core/errors.ts";
import { percent } from "../src/report/format.ts";
import {
  type Agreement,
  measureAgreement,
  type RatedItem,
  WORD_RELATIONS,
  type WordRelation,
  wordRelation,
} from "./grading/agreement.ts";
import { type BenchmarkCase, loadBenchmark } from "./grading/benchmark-file.ts";
import { type GraderDecision, gradeWithProject } from "./grading/grader-adapter.ts";
import {
  type ItemToLabel,
  itemKey,
  loadItemsToLabel,
  loadLabels,
  type ProjectLabel,
  TO_LABEL_FILE,
} from "./grading/project-labels/label-files.ts";

const DISAGREEMENTS_FILE = new URL("./grading/project-labels/strict-disagreements.txt", import.meta.url)
  .pathname;

interface LabelledList {
  item: ItemToLabel;
  label: ProjectLabel;
  source: BenchmarkCase;
  decision: GraderDecision;
}

/** A rater compared with the labels: true = it counts the list correct, null = it gives no verdict. */
interface Rater {
  name: string;
  rate: (list: LabelledList) => boolean | null;
}

const RATERS: readonly Rater[] = [
  { name: "strict grading", rate: (list) => list.decision.strict },
  { name: "lenient grading", rate: (list) => list.decision.lenient },
  { name: "published judge, any match (P1–P5)", rate: (list) => list.source.verdict.case === "correct" },
  {
    name: "published judge, exact match (P1–P4; P5 left out)",
    rate: (list) =>
      list.source.verdict.exactMatch === null ? null : list.source.verdict.exactMatch === "correct",
  },
];

const LABEL_ORDER = ["correct", "broader", "incorrect"] as const;

function describeAgreement(title: string, agreement: Agreement): string {
  const { confusion: table, kappa } = agreement;
  const kappaText =
    kappa === null
      ? "undefined"
      : `${kappa.estimate.toFixed(3)} (95% CI ${kappa.lower.toFixed(3)} to ${kappa.upper.toFixed(3)})`;
  return [
    `${title}: n = ${agreement.n}`,
    `  Cohen's kappa ${kappaText}, observed agreement ${percent(agreement.observedAgreement)}%`,
    `  rater counts ${percent(agreement.graderPositiveRate)}% correct, labels ${percent(agreement.referencePositiveRate)}%: gap ${agreement.gap > 0 ? "+" : ""}${percent(agreement.gap)} points`,
    "                       label correct  label not correct",
    `  rater correct    ${String(table.bothCorrect).padStart(16)}  ${String(table.graderOnly).padStart(17)}`,
    `  rater incorrect  ${String(table.referenceOnly).padStart(16)}  ${String(table.neither).padStart(17)}`,
  ].join("\n");
}

/** How often the rater counts correct the lists of each label (correct / broader / incorrect). */
function describeByLabel(lists: readonly LabelledList[], rater: Rater): string {
  const parts = LABEL_ORDER.map((label) => {
    const rated = lists.filter((list) => list.label.label === label && rater.rate(list) !== null);
    const credited = rated.filter((list) => rater.rate(list) === true).length;
    return `${label} ${credited}/${rated.length}`;
  });
  return `  counted correct, by label: ${parts.join(", ")}`;
}

function ratedItems(lists: readonly LabelledList[], rater: Rater): RatedItem[] {
  return lists.flatMap((list) => {
    const rating = rater.rate(list);
    if (rating === null) return [];
    return [
      {
        reference: list.label.label === "correct",
        grader: rating,
        cluster: list.item.reference.toLowerCase(),
      },
    ];
  });
}

function closestAnswer(item: ItemToLabel): { answer: string; relation: WordRelation } {
  const names = [item.reference, ...item.accept];
  let best = { answer: item.answers[0], relation: "no-shared-words" as WordRelation };
  for (const answer of item.answers) {
    const relation = wordRelation(answer, names);
    if (WORD_RELATIONS.indexOf(relation) < WORD_RELATIONS.indexOf(best.relation)) best = { answer, relation };
  }
  return best;
}

/** Every list on which strict grading and the label disagree, grouped by label and word relation. */
function strictDisagreements(lists: readonly LabelledList[]): string {
  const lines = [
    "Strict grading against the project's labels: every disagreement.",
    "Grouped by the label, then by how the closest listed answer's words relate to the reference's.",
    "",
  ];
  const groups = [
    { title: "label correct, strict grading incorrect", label: "correct", strict: false },
    { title: "label broader, strict grading correct", label: "broader", strict: true },
    { title: "label incorrect, strict grading correct", label: "incorrect", strict: true },
  ] as const;
  for (const group of groups) {
    const members = lists.filter(
      (list) => list.label.label === group.label && list.decision.strict === group.strict,
    );
    lines.push(`== ${group.title}: ${members.length}`);
    for (const relation of WORD_RELATIONS) {
      const inRelation = members.filter((list) => closestAnswer(list.item).relation === relation);
      if (inRelation.length === 0) continue;
      lines.push(`-- ${relation}: ${inRelation.length}`);
      for (const list of inRelation) {
        const rank = list.label.rank === null ? "" : ` (label rank ${list.label.rank})`;
        const note = list.label.note === undefined ? "" : ` — note: ${list.label.note}`;
        const accept = list.item.accept.length === 0 ? "" : ` [accept: ${list.item.accept.join("; ")}]`;
        lines.push(`${list.item.id}`);
        lines.push(`  reference: ${list.item.reference}${accept}`);
        lines.push(
          `  answers: ${list.item.answers.map((answer, index) => `${index + 1}. ${answer}`).join(" | ")}`,
        );
        lines.push(`  label: ${list.label.label}${rank}${note}`);
      }
    }
    lines.push("");
  }
  return lines.join("\n");
}

function main(): void {
  const items = loadItemsToLabel();
  const labels = loadLabels(items);
  const benchmark = new Map(loadBenchmark().map((testCase) => [itemKey(testCase), testCase]));
  const lists: LabelledList[] = items.map((item, index) => {
    const source = benchmark.get(item.id);
    if (source === undefined)
      throw new InputError("is not in the benchmark", {
        file: TO_LABEL_FILE,
        line: index + 1,
        field: "id",
      });
    return {
      item,
      label: labels[index],
      source,
      decision: gradeWithProject(item.answers, { diagnosis: item.reference, accept: item.accept }),
    };
  });
  const counts = LABEL_ORDER.map(
    (label) => `${label} ${lists.filter((list) => list.label.label === label).length}`,
  ).join(", ");
  const output = [
    "Grading agreement with the project's labels (bench/grading/project-labels/labels.jsonl, rules in RULES.md)",
    `${lists.length} labelled lists (${new Set(lists.map((list) => list.item.reference.toLowerCase())).size} reference diagnoses): ${counts}.`,
    "A list is correct when one of its answers names the reference or a more specific form of it; broader and incorrect are not correct.",
    "Intervals: 95% bootstrap (BCa, 2,000 resamples, seed 1) resampling reference diagnoses, as in bench:grading.",
    "",
  ];
  for (const rater of RATERS) {
    output.push(
      describeAgreement(`${rater.name} against the labels`, measureAgreement(ratedItems(lists, rater))),
    );
    output.push(describeByLabel(lists, rater));
    output.push("  by dataset:");
    for (const dataset of [...new Set(lists.map((list) => list.source.dataset))].sort()) {
      const subset = ratedItems(
        lists.filter((list) => list.source.dataset === dataset),
        rater,
      );
      if (subset.length < 2) continue;
      const measured = measureAgreement(subset);
      const kappa = measured.kappa === null ? "undefined" : measured.kappa.estimate.toFixed(3);
      output.push(
        `    ${dataset.padEnd(22)} n ${String(measured.n).padStart(4)}  kappa ${kappa}  rater ${percent(measured.graderPositiveRate)}%  labels ${percent(measured.referencePositiveRate)}%`,
      );
    }
    output.push("");
  }
  writeFileSync(DISAGREEMENTS_FILE, `${strictDisagreements(lists)}\n`);
  output.push("Strict disagreements, listed: bench/grading/project-labels/strict-disagreements.txt");
  process.stdout.write(`${output.join("\n")}\n`);
}

try {
  main();
} catch (error) {
  if (!(error instanceof InputError)) throw error;
  process.stderr.write(`bench:grading-labels: ${error.describe()}\n`);
  process.exitCode = 2;
}
