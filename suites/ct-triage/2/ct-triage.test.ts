import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TriageCase } from "../../../src/core/case.ts";
import { jaccard, wordShingles } from "../../../src/suites/audit/near-duplicates.ts";
import { loadCaseFile } from "../../../src/suites/load-case-file.ts";
import {
  impression,
  naiveBayesAccuracy,
  phraseSignals,
  type Report,
  tfidfAccuracy,
} from "./shortcut-measures.ts";

const LABELS = ["negative", "routine", "urgent"];
const SCAN_TYPES = ["non-contrast", "contrast-enhanced", "CT angiography"];
const REGIONS = ["head", "neck", "chest", "abdomen/pelvis", "spine", "extremity"];

/** Highest accuracy either keyword model may reach on the test split from the impression alone (see the card). */
const KEYWORD_CEILING = 0.87;
/** A word or bigram in at least this many impressions must not predict one label with this precision or more. */
const PHRASE_SUPPORT = 15;
const PHRASE_PRECISION = 0.9;

async function load(path: string): Promise<TriageCase[]> {
  const suite = await loadCaseFile(path, { requiredFields: ["text", "label"], id: "ct-triage" });
  return suite.cases as TriageCase[];
}

const reports = await load(join(import.meta.dirname, "cases.jsonl"));
const v1 = await load(join(import.meta.dirname, "..", "1", "cases.jsonl"));

function asReports(cases: readonly TriageCase[]): Report[] {
  return cases.map((report) => ({
    id: report.id,
    text: report.text,
    label: report.label,
    split: String(report.split),
  }));
}

function bySplit(cases: readonly TriageCase[]): { train: Report[]; test: Report[] } {
  const all = asReports(cases);
  return {
    train: all.filter((report) => report.split === "train"),
    test: all.filter((report) => report.split === "test"),
  };
}

const trigrams = (text: string) => wordShingles(text, 3);

function strongPhrases(cases: readonly TriageCase[]): string[] {
  return phraseSignals(asReports(cases))
    .filter((signal) => signal.support >= PHRASE_SUPPORT && signal.precision >= PHRASE_PRECISION)
    .map((signal) => `${signal.phrase} → ${signal.label} (${signal.support})`);
}

describe("ct-triage v2", () => {
  it("has valid values in every report", () => {
    const problems = reports.flatMap((report) => {
      const found: string[] = [];
      if (!/^ct-\d{4}$/.test(report.id)) found.push("id");
      if (!LABELS.includes(report.label)) found.push("label");
      if (!SCAN_TYPES.includes(report.scanType ?? "")) found.push("scanType");
      if (!REGIONS.includes(report.region ?? "")) found.push("region");
      if (report.split !== "train" && report.split !== "test") found.push("split");
      if (!/^EXAMINATION:[\s\S]*\nFINDINGS:[\s\S]*\nIMPRESSION: \S/.test(report.text)) found.push("sections");
      const words = report.text.split(/\s+/).length;
      if (words < 40 || words > 220) found.push(`${words} words`);
      if (/\b(urgent|routine|negative)\b/i.test(report.text)) found.push("names a label");
      return found.map((problem) => `${report.id}: ${problem}`);
    });
    expect(problems).toEqual([]);
  });

  it("keeps v1's ids, splits, regions, scan types and sections before the impression", () => {
    const head = (text: string) => text.slice(0, text.lastIndexOf("\nIMPRESSION:"));
    const differences = reports.flatMap((report, index) => {
      const earlier = v1[index];
      const found: string[] = [];
      if (report.id !== earlier.id) found.push(`id ${earlier.id}`);
      if (report.split !== earlier.split) found.push("split");
      if (report.region !== earlier.region) found.push("region");
      if (report.scanType !== earlier.scanType) found.push("scanType");
      if (head(report.text) !== head(earlier.text)) found.push("text before the impression");
      return found.map((difference) => `${report.id}: ${difference}`);
    });
    expect(reports.length).toBe(v1.length);
    expect(differences).toEqual([]);
  });

  it("changes v1's label only where the conventions table does, as the card lists", () => {
    const changes = reports
      .map((report, index) => [report.id, `${v1[index].label} → ${report.label}`])
      .filter(([, change]) => !/^(\w+) → \1$/.test(change));
    expect(Object.fromEntries(changes)).toEqual({
      "ct-0109": "routine → negative",
      "ct-0121": "routine → negative",
      "ct-0323": "urgent → routine",
      "ct-0453": "urgent → routine",
      "ct-0464": "negative → routine",
      "ct-0476": "urgent → routine",
      "ct-0603": "urgent → routine",
    });
  });

  it("has the counts its card states, the test split about a third of every region × label cell", () => {
    const counts: Record<string, number> = {};
    for (const report of reports) {
      for (const key of [report.label, report.split as string, `${report.region} / ${report.label}`]) {
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }
    expect([counts.negative, counts.routine, counts.urgent, counts.train, counts.test]).toEqual([
      213, 212, 205, 424, 206,
    ]);
    const unbalanced = REGIONS.flatMap((region) =>
      LABELS.filter((label) => {
        const cell = reports.filter((report) => report.region === region && report.label === label);
        const test = cell.filter((report) => report.split === "test").length;
        return Math.abs(cell.length - test - 2 * test) > 3;
      }).map((label) => `${region} / ${label}`),
    );
    expect(unbalanced).toEqual([]);
  });

  it("has no test report that is a near-duplicate of a training report", () => {
    const train = reports.filter((report) => report.split === "train").map((report) => trigrams(report.text));
    let highest = 0;
    for (const report of reports.filter((candidate) => candidate.split === "test")) {
      const grams = trigrams(report.text);
      for (const other of train) highest = Math.max(highest, jaccard(grams, other));
    }
    expect(highest).toBeGreaterThan(0);
    expect(highest).toBeLessThan(0.3);
  });

  it("has no word or bigram in the impressions that predicts a label on its own (v1 had several)", () => {
    expect(strongPhrases(reports)).toEqual([]);
    expect(strongPhrases(v1)).toContain("outpatient → routine (17)");
  });

  it("keeps a naive Bayes on the impression alone at or below the ceiling (v1 exceeds it)", () => {
    const current = bySplit(reports);
    const earlier = bySplit(v1);
    expect(naiveBayesAccuracy(current.train, current.test)).toBeLessThanOrEqual(KEYWORD_CEILING);
    expect(naiveBayesAccuracy(earlier.train, earlier.test)).toBeGreaterThan(KEYWORD_CEILING);
  });

  it("keeps clinval's TF-IDF classifier on the impression alone at or below the ceiling (v1 exceeds it)", async () => {
    const current = bySplit(reports);
    const earlier = bySplit(v1);
    expect(await tfidfAccuracy(current.train, current.test)).toBeLessThanOrEqual(KEYWORD_CEILING);
    expect(await tfidfAccuracy(earlier.train, earlier.test)).toBeGreaterThan(KEYWORD_CEILING);
  });
});

describe("shortcut measures", () => {
  const report = (id: string, label: string, split: string, said: string): Report => ({
    id,
    label,
    split,
    text: `EXAMINATION: CT\nFINDINGS: Something.\nIMPRESSION: ${said}`,
  });

  it("reads the impression after the last IMPRESSION heading", () => {
    expect(impression("FINDINGS: a\nIMPRESSION: first\nIMPRESSION: Second line.\nmore")).toBe(
      "Second line.\nmore",
    );
    expect(() => impression("FINDINGS: only")).toThrow("report without an IMPRESSION section");
  });

  it("naive Bayes follows the words each label was trained on", () => {
    const train = [
      report("a", "urgent", "train", "Large bleed now"),
      report("b", "urgent", "train", "Bleed with shift"),
      report("c", "routine", "train", "Nodule, clinic"),
      report("d", "negative", "train", "Normal study"),
    ];
    const test = [
      report("e", "urgent", "test", "bleed"),
      report("f", "routine", "test", "clinic nodule"),
      report("g", "negative", "test", "normal"),
      report("h", "routine", "test", "bleed"),
    ];
    expect(naiveBayesAccuracy(train, test)).toBe(0.75);
  });

  it("phrase signals count each report once and give the most frequent label's share", () => {
    const signals = phraseSignals([
      report("a", "urgent", "train", "bleed bleed now"),
      report("b", "urgent", "train", "bleed"),
      report("c", "routine", "train", "bleed later"),
    ]).filter((signal) => signal.phrase === "bleed" || signal.phrase === "bleed now");
    expect(signals).toEqual([
      { phrase: "bleed now", label: "urgent", support: 1, precision: 1 },
      { phrase: "bleed", label: "urgent", support: 3, precision: 2 / 3 },
    ]);
  });
});
