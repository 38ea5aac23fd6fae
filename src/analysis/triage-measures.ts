import type { Case } from "../core/case.ts";
import { ClinvalError } from "../core/errors.ts";
import {
  bootstrapInterval,
  calibration,
  classificationMetrics,
  cohenKappa,
  mcnemar,
  normalQuantile,
  pairedDifference,
} from "../stats/index.ts";
import type { Grade } from "../tasks/task.ts";
import type { TriageGrade } from "../tasks/triage/triage-grade.ts";
import { type AnsweredJob, type GradedJob, isAnswered } from "./graded-job.ts";
import { wilsonProportion } from "./proportion.ts";
import type {
  BootstrapEstimate,
  Classification,
  PairedEvent,
  TriageSafetyComparison,
} from "./report-types.ts";
import type { TaskMeasures } from "./task-measures.ts";

/** Per-model fields of a triage study. */
export interface TriageModelMeasures {
  /** Null when no answer of the model had a label. */
  classification: Classification | null;
}

/**
 * The bootstrap behind `macroF1Interval`: BCa, resampling cases, with a fixed seed so reports reproduce.
 * Each resample and each jackknife value is computed from confusion counts, so it stays fast at any n.
 */
export const MACRO_F1_BOOTSTRAP = { replicates: 2000, seed: 1 } as const;

export const CLASSIFICATION_SCOPE =
  "Computed over the answers with a label (outcome correct or incorrect). Answers without one (unparseable " +
  "or truncated) count as incorrect in accuracy, appear per reference label in `unlabelled` (the confusion " +
  "matrix's no-label column) and in `mostSevereRecallWithUnlabelled` as misses, and are left out of every " +
  "other measure here. Error jobs are excluded, as everywhere.";

export function isTriageGrade(grade: Grade): grade is TriageGrade {
  const predicted = (grade as Partial<TriageGrade>).predicted;
  return predicted === null || typeof predicted === "string";
}

function requireTriageGrade(grade: Grade): TriageGrade {
  if (!isTriageGrade(grade)) {
    throw new ClinvalError("invalid-grade", "a triage study needs triage grades (predicted)");
  }
  return grade;
}

/** The label a graded answer gave, or null when it has none (unparseable, truncated). */
function labelOf(grade: TriageGrade): string | null {
  if (grade.outcome === "unparseable" || grade.outcome === "truncated") return null;
  if (grade.predicted === null) {
    throw new ClinvalError("invalid-grade", `a triage grade with outcome ${grade.outcome} needs a label`);
  }
  return grade.predicted;
}

/**
 * Macro-F1 from a flattened k × k confusion matrix (`counts[row · k + column]`), with the same formulas, in
 * the same order, as `classificationMetrics`, so that both give the same number to the last bit.
 */
function macroF1FromCounts(counts: ArrayLike<number>, size: number): number {
  let f1Sum = 0;
  for (let index = 0; index < size; index++) {
    const truePositives = counts[index * size + index];
    let support = 0;
    let predictedCount = 0;
    for (let other = 0; other < size; other++) {
      support += counts[index * size + other];
      predictedCount += counts[other * size + index];
    }
    const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
    const recall = support === 0 ? 0 : truePositives / support;
    f1Sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  return f1Sum / size;
}

/**
 * The `classification` block from each answered case's reference label and the label the model gave
 * (null for an answer without a label), over the study's labels, least to most severe. Null when no
 * answer has a label.
 */
export function classificationBlock(
  reference: readonly string[],
  predicted: readonly (string | null)[],
  labels: readonly string[],
  level: number,
  probabilities: ReadonlyArray<Readonly<Record<string, number>> | null> = [],
): Classification | null {
  const position = new Map(labels.map((label, index) => [label, index]));
  const unlabelled = labels.map(() => 0);
  const truth: string[] = [];
  const given: string[] = [];
  reference.forEach((label, index) => {
    const answer = predicted[index];
    if (answer === null) {
      const row = position.get(label);
      if (row === undefined) {
        throw new ClinvalError(
          "invalid-grade",
          `reference label "${label}" is not one of ${labels.join(", ")}`,
        );
      }
      unlabelled[row] += 1;
    } else {
      truth.push(label);
      given.push(answer);
    }
  });
  if (truth.length === 0) return null;
  const options = { labels };
  const metrics = classificationMetrics(truth, given, options);
  const mostSevereLabel = labels[labels.length - 1];
  const mostSevere = metrics.perClass[mostSevereLabel];
  const mostSevereAnswered = mostSevere.support + unlabelled[labels.length - 1];
  let under = 0;
  let over = 0;
  for (let index = 0; index < truth.length; index++) {
    const distance = (position.get(given[index]) as number) - (position.get(truth[index]) as number);
    if (distance < 0) under += 1;
    else if (distance > 0) over += 1;
  }
  let macroF1Interval: BootstrapEstimate | null = null;
  if (truth.length >= 2) {
    // Each answer as its cell of the confusion matrix; a resample's macro-F1 only needs its cell counts.
    const size = labels.length;
    const cells = truth.map(
      (label, index) => (position.get(label) as number) * size + (position.get(given[index]) as number),
    );
    const counts = new Float64Array(metrics.confusion.flat());
    const interval = bootstrapInterval(
      truth.length,
      (indices) => {
        const resampled = new Float64Array(size * size);
        for (const index of indices) resampled[cells[index]] += 1;
        return macroF1FromCounts(resampled, size);
      },
      {
        method: "bca",
        jackknife: (left) => {
          counts[cells[left]] -= 1;
          const value = macroF1FromCounts(counts, size);
          counts[cells[left]] += 1;
          return value;
        },
        replicates: MACRO_F1_BOOTSTRAP.replicates,
        seed: MACRO_F1_BOOTSTRAP.seed,
        level,
      },
    );
    macroF1Interval = {
      estimate: interval.estimate,
      lower: interval.lower,
      upper: interval.upper,
      method: interval.method,
      level: interval.level,
      replicates: interval.replicates,
      seed: interval.seed,
    };
  }
  const kappa = cohenKappa(truth, given, { weights: "linear", labels });
  const z = -normalQuantile((1 - level) / 2);
  const underTriageInterval = wilsonProportion(
    under,
    truth.length,
    level,
  ) as Classification["underTriageInterval"];
  const overTriageInterval = wilsonProportion(
    over,
    truth.length,
    level,
  ) as Classification["overTriageInterval"];
  return {
    labels: [...labels],
    scope: CLASSIFICATION_SCOPE,
    labelled: truth.length,
    confusion: metrics.confusion,
    unlabelled,
    perClass: metrics.perClass,
    macroF1: metrics.macroF1,
    macroF1Interval,
    mostSevereLabel,
    mostSevereRecall: mostSevere.support === 0 ? null : mostSevere.recall,
    mostSevereRecallWithUnlabelled:
      mostSevereAnswered === 0
        ? null
        : metrics.confusion[labels.length - 1][labels.length - 1] / mostSevereAnswered,
    underTriage: under / truth.length,
    overTriage: over / truth.length,
    weightedKappa: kappa.kappa,
    kappaWeights: "linear",
    mostSevereRecallInterval: wilsonProportion(
      metrics.confusion[labels.length - 1][labels.length - 1],
      mostSevere.support,
      level,
    ),
    underTriageInterval,
    overTriageInterval,
    weightedKappaInterval:
      kappa.kappa === null || kappa.standardError === null
        ? null
        : {
            estimate: kappa.kappa,
            lower: kappa.kappa - z * kappa.standardError,
            upper: kappa.kappa + z * kappa.standardError,
            method: "fleiss-cohen-everitt",
            level,
          },
    calibration: calibrationBlock(reference, probabilities, labels),
  };
}

/** Brier score and reliability of P(most severe label), over the answers that gave probabilities. */
function calibrationBlock(
  reference: readonly string[],
  probabilities: ReadonlyArray<Readonly<Record<string, number>> | null>,
  labels: readonly string[],
): Classification["calibration"] {
  const severe = labels[labels.length - 1];
  const predicted: number[] = [];
  const outcomes: number[] = [];
  let multiclass = 0;
  reference.forEach((label, index) => {
    const given = probabilities[index];
    if (!given) return;
    predicted.push(given[severe]);
    outcomes.push(label === severe ? 1 : 0);
    for (const candidate of labels) multiclass += (given[candidate] - (candidate === label ? 1 : 0)) ** 2;
  });
  if (predicted.length === 0) return null;
  return {
    label: severe,
    ...calibration(predicted, outcomes),
    multiclassBrier: multiclass / predicted.length,
  };
}

/** The measures of a triage study whose labels are `labels`, least to most severe. */
export function triageMeasures(labels: readonly string[]): TaskMeasures {
  return {
    correctness(grade) {
      const correct = requireTriageGrade(grade).outcome === "correct";
      return { strict: correct, lenient: correct };
    },

    modelMeasures(jobs: readonly AnsweredJob[], context) {
      const grades = jobs.map((job) => requireTriageGrade(job.grade));
      const reference = jobs.map((job) => String(job.testCase.label));
      return {
        classification: classificationBlock(
          reference,
          grades.map(labelOf),
          labels,
          context.level,
          grades.map((grade) => grade.probabilities ?? null),
        ),
      };
    },

    rowFields(testCase: Case, grade: Grade | null) {
      return {
        rung: null,
        rank: null,
        lenientRank: null,
        needsReview: null,
        answers: [],
        reference: typeof testCase.label === "string" ? testCase.label : null,
        suggestion: null,
        predicted: grade === null ? null : requireTriageGrade(grade).predicted,
        probabilities: grade === null ? null : (requireTriageGrade(grade).probabilities ?? null),
      };
    },
  };
}

/**
 * Urgent recall and under-triage of two models compared on the same cases (their first answers): McNemar's
 * exact test and Newcombe's interval of the difference in rates. Cases where either model failed are left out.
 */
export function triageSafetyComparison(
  first: readonly GradedJob[],
  second: readonly GradedJob[],
  labels: readonly string[],
  level: number,
): TriageSafetyComparison {
  const severe = labels[labels.length - 1];
  const position = new Map(labels.map((label, index) => [label, index]));
  const byCase = (jobs: readonly GradedJob[]) =>
    new Map(
      jobs
        .filter((job) => job.sample === 0 && isAnswered(job))
        .map((job) => [job.testCase.id, job as AnsweredJob]),
    );
  const left = byCase(first);
  const right = byCase(second);
  const recall: Array<[boolean, boolean]> = [];
  const under: Array<[boolean, boolean]> = [];
  for (const [caseId, job] of left) {
    const other = right.get(caseId);
    if (!other) continue;
    const reference = String(job.testCase.label);
    const given = [labelOf(requireTriageGrade(job.grade)), labelOf(requireTriageGrade(other.grade))];
    if (reference === severe) recall.push([given[0] === severe, given[1] === severe]);
    const rank = position.get(reference) ?? 0;
    const underTriaged = (label: string | null) =>
      label === null ? rank > 0 : (position.get(label) as number) < rank;
    under.push([underTriaged(given[0]), underTriaged(given[1])]);
  }
  return {
    mostSevereLabel: severe,
    recall: pairedEvent(recall, level),
    underTriage: pairedEvent(under, level),
  };
}

function pairedEvent(pairs: ReadonlyArray<readonly [boolean, boolean]>, level: number): PairedEvent {
  let both = 0;
  let aOnly = 0;
  let bOnly = 0;
  let neither = 0;
  for (const [first, second] of pairs) {
    if (first && second) both += 1;
    else if (first) aOnly += 1;
    else if (second) bOnly += 1;
    else neither += 1;
  }
  const test = mcnemar(aOnly, bOnly);
  const interval =
    pairs.length === 0 ? null : pairedDifference({ a: both, b: aOnly, c: bOnly, d: neither }, { level });
  return {
    n: pairs.length,
    both,
    aOnly,
    bOnly,
    neither,
    difference: interval && {
      estimate: interval.estimate,
      lower: interval.lower,
      upper: interval.upper,
      method: interval.method,
      level: interval.level,
    },
    mcnemar: { exactP: test.exactP, midP: test.midP },
  };
}
