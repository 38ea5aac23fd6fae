import { createTextClassifier } from "../../../src/classifiers/classifier.ts";
import { words } from "../../../src/classifiers/tfidf.ts";
import { prepareTrainingSet, trainTfidfClassifier } from "../../../src/classifiers/train-classifier.ts";
import type { Suite } from "../../../src/core/case.ts";

export const LABELS = ["negative", "routine", "urgent"];

export interface Report {
  id: string;
  text: string;
  label: string;
  split: string;
}

/** The IMPRESSION section of a report: everything after its last "IMPRESSION:" heading. */
export function impression(text: string): string {
  const start = text.lastIndexOf("IMPRESSION:");
  if (start < 0) throw new Error("report without an IMPRESSION section");
  return text.slice(start + "IMPRESSION:".length).trim();
}

function accuracy(predicted: readonly string[], reports: readonly Report[]): number {
  return predicted.filter((label, index) => label === reports[index].label).length / reports.length;
}

/** Multinomial naive Bayes on word counts with add-one smoothing, trained on `train`, accuracy on `test`. */
export function naiveBayesAccuracy(train: readonly Report[], test: readonly Report[]): number {
  const counts = new Map(LABELS.map((label) => [label, new Map<string, number>()]));
  const totals = new Map(LABELS.map((label) => [label, 0]));
  const documents = new Map(LABELS.map((label) => [label, 0]));
  const vocabulary = new Set<string>();
  for (const report of train) {
    const table = counts.get(report.label);
    if (table === undefined) throw new Error(`unknown label ${report.label}`);
    documents.set(report.label, (documents.get(report.label) ?? 0) + 1);
    for (const word of words(impression(report.text))) {
      vocabulary.add(word);
      table.set(word, (table.get(word) ?? 0) + 1);
      totals.set(report.label, (totals.get(report.label) ?? 0) + 1);
    }
  }
  const predicted = test.map((report) => {
    let best = "";
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const label of LABELS) {
      const table = counts.get(label) as Map<string, number>;
      const denominator = (totals.get(label) as number) + vocabulary.size;
      let score = Math.log((documents.get(label) as number) / train.length);
      for (const word of words(impression(report.text))) {
        if (!vocabulary.has(word)) continue;
        score += Math.log(((table.get(word) ?? 0) + 1) / denominator);
      }
      if (score > bestScore) {
        bestScore = score;
        best = label;
      }
    }
    return best;
  });
  return accuracy(predicted, test);
}

/** clinval's TF-IDF classifier (as `clinval train tfidf` trains it, seed 1) on impressions, accuracy on `test`. */
export async function tfidfAccuracy(train: readonly Report[], test: readonly Report[]): Promise<number> {
  const suite: Suite = {
    id: "ct-triage-impressions",
    source: "impressions",
    sha256: "",
    cases: train.map((report) => ({ id: report.id, text: impression(report.text), label: report.label })),
  };
  const set = prepareTrainingSet(suite, { labels: LABELS, split: "train" });
  const file = trainTfidfClassifier(set, { seed: 1, now: () => new Date(0) });
  const classifier = createTextClassifier(file, {});
  const results = await classifier.classify(
    test.map((report) => impression(report.text)),
    new AbortController().signal,
  );
  await classifier.close();
  return accuracy(
    results.map((result) => result.label),
    test,
  );
}

export interface PhraseSignal {
  phrase: string;
  label: string;
  support: number;
  precision: number;
}

/**
 * For every word and word bigram of the impressions: the number of reports containing it (support) and
 * the share of them carrying its most frequent label (precision), strongest first.
 */
export function phraseSignals(reports: readonly Report[]): PhraseSignal[] {
  const byPhrase = new Map<string, Map<string, number>>();
  for (const report of reports) {
    const tokens = words(impression(report.text));
    const phrases = new Set(tokens);
    for (let index = 0; index + 1 < tokens.length; index++)
      phrases.add(`${tokens[index]} ${tokens[index + 1]}`);
    for (const phrase of phrases) {
      const labels = byPhrase.get(phrase) ?? new Map<string, number>();
      labels.set(report.label, (labels.get(report.label) ?? 0) + 1);
      byPhrase.set(phrase, labels);
    }
  }
  const signals: PhraseSignal[] = [];
  for (const [phrase, labels] of byPhrase) {
    const support = [...labels.values()].reduce((sum, count) => sum + count, 0);
    const [label, count] = [...labels].sort((first, second) => second[1] - first[1])[0];
    signals.push({ phrase, label, support, precision: count / support });
  }
  return signals.sort(
    (first, second) =>
      second.precision - first.precision ||
      second.support - first.support ||
      (first.phrase < second.phrase ? -1 : 1),
  );
}
