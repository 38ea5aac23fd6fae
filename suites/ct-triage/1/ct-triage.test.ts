import { describe, expect, it } from "vitest";
import type { TriageCase } from "../../../src/core/case.ts";
import { jaccard, wordShingles } from "../../../src/suites/audit/near-duplicates.ts";
import { builtinSuitePath } from "../../../src/suites/builtin-suites.ts";
import { loadCaseFile } from "../../../src/suites/load-case-file.ts";

const LABELS = ["negative", "routine", "urgent"];
const SCAN_TYPES = ["non-contrast", "contrast-enhanced", "CT angiography"];
const REGIONS = ["head", "neck", "chest", "abdomen/pelvis", "spine", "extremity"];

const suite = await loadCaseFile(builtinSuitePath("ct-triage@1"), {
  requiredFields: ["text", "label"],
  id: "ct-triage",
});
const reports = suite.cases as TriageCase[];

const trigrams = (text: string) => wordShingles(text, 3);

describe("ct-triage suite", () => {
  it("has valid values in every report", () => {
    const problems = reports.flatMap((report) => {
      const found: string[] = [];
      if (!/^ct-\d{4}$/.test(report.id)) found.push("id");
      if (!LABELS.includes(report.label)) found.push("label");
      if (!SCAN_TYPES.includes(report.scanType ?? "")) found.push("scanType");
      if (!REGIONS.includes(report.region ?? "")) found.push("region");
      if (report.split !== "train" && report.split !== "test") found.push("split");
      if (!/FINDINGS:[\s\S]*IMPRESSION:/.test(report.text)) found.push("sections");
      const words = report.text.split(/\s+/).length;
      if (words < 40 || words > 220) found.push(`${words} words`);
      if (/\b(urgent|routine|negative)\b/i.test(report.text)) found.push("names a label");
      return found.map((problem) => `${report.id}: ${problem}`);
    });
    expect(problems).toEqual([]);
  });

  it("has the counts its card states, with a test split of at least 200 stratified 2:1 by region and label", () => {
    expect(reports.length).toBe(630);
    const cells = new Map<string, { train: number; test: number }>();
    for (const report of reports) {
      const key = `${report.region} / ${report.label}`;
      const cell = cells.get(key) ?? { train: 0, test: 0 };
      cell[report.split as "train" | "test"]++;
      cells.set(key, cell);
    }
    expect(cells.size).toBe(REGIONS.length * LABELS.length);
    const unbalanced = [...cells]
      .filter(([, { train, test }]) => Math.abs(train - 2 * test) > 2)
      .map(([key]) => key);
    expect(unbalanced).toEqual([]);
    const test = reports.filter((report) => report.split === "test").length;
    expect(test).toBe(206);
    expect(reports.filter((report) => report.label === "urgent").length).toBe(209);
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
});
