import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DiagnosisCase } from "../../src/core/case.ts";
import { builtinSuitePath } from "../../src/suites/builtin-suites.ts";
import { loadCaseFile } from "../../src/suites/load-case-file.ts";

const SPECIALTIES = ["internal medicine", "surgery", "neurology", "gynecology", "pediatrics"];
const INCIDENCE = ["frequent", "less frequent", "rare"];
const URGENCY = ["emergent", "urgent", "routine"];

const suite = await loadCaseFile(builtinSuitePath("dx-core@1"), {
  requiredFields: ["presentation", "diagnosis"],
  id: "dx-core",
});
const cases = suite.cases as DiagnosisCase[];

function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function count(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

describe("dx-core suite", () => {
  it("has every field, with values from the card's label sets", () => {
    const problems = cases.flatMap((testCase) => {
      const found: string[] = [];
      if (!/^dx-\d{3}$/.test(testCase.id)) found.push("id");
      if (!SPECIALTIES.includes(testCase.specialty ?? "")) found.push("specialty");
      if (!INCIDENCE.includes(testCase.incidence ?? "")) found.push("incidence");
      if (!URGENCY.includes(testCase.urgency ?? "")) found.push("urgency");
      if (testCase.lang !== "en") found.push("lang");
      if (!testCase.accept || testCase.accept.length < 1 || testCase.accept.length > 5) found.push("accept");
      if (!testCase.redFlags || testCase.redFlags.length > 4) found.push("redFlags");
      if (testCase.redFlags?.length === 0 && testCase.urgency !== "routine")
        found.push("redFlags empty but not routine");
      if (!testCase.mustNotMiss || testCase.mustNotMiss.length < 1 || testCase.mustNotMiss.length > 4)
        found.push("mustNotMiss");
      const words = wordCount(testCase.presentation);
      if (words < 80 || words > 200) found.push(`presentation has ${words} words`);
      return found.map((problem) => `${testCase.id}: ${problem}`);
    });
    expect(problems).toEqual([]);
  });

  it("never names the diagnosis or an accepted name in the presentation", () => {
    const leaks = cases.flatMap((testCase) =>
      [testCase.diagnosis, ...(testCase.accept ?? [])]
        .filter((name) => testCase.presentation.toLowerCase().includes(name.toLowerCase()))
        .map((name) => `${testCase.id}: "${name}"`),
    );
    expect(leaks).toEqual([]);
  });

  it("has every red flag verbatim in the presentation", () => {
    const missing = cases.flatMap((testCase) =>
      (testCase.redFlags ?? [])
        .filter((flag) => !testCase.presentation.toLowerCase().includes(flag.toLowerCase()))
        .map((flag) => `${testCase.id}: "${flag}"`),
    );
    expect(missing).toEqual([]);
  });

  it("uses each diagnosis and accepted name for one case only", () => {
    const owner = new Map<string, string>();
    const shared: string[] = [];
    for (const testCase of cases) {
      for (const name of [testCase.diagnosis, ...(testCase.accept ?? [])]) {
        const key = name.toLowerCase();
        const other = owner.get(key);
        if (other !== undefined && other !== testCase.id) shared.push(`${name}: ${other}, ${testCase.id}`);
        owner.set(key, testCase.id);
      }
    }
    expect(shared).toEqual([]);
  });

  it("has the counts its card states", () => {
    expect(cases.length).toBe(120);
    const bySpecialtyAndTier = count(
      cases.map((testCase) => `${testCase.specialty} / ${testCase.incidence}`),
    );
    expect(Object.values(bySpecialtyAndTier)).toEqual(Array(15).fill(8));
    expect(count(cases.map((testCase) => testCase.incidence as string))).toEqual({
      frequent: 40,
      "less frequent": 40,
      rare: 40,
    });
    expect(count(cases.map((testCase) => testCase.urgency as string))).toEqual({
      emergent: 47,
      urgent: 47,
      routine: 26,
    });
    const card = readFileSync(join(import.meta.dirname, "1", "README.md"), "utf8");
    expect(card).toMatch(/\| \*\*total\*\* +\| +\*\*47\*\* \| +\*\*47\*\* \| +\*\*26\*\* \| +\*\*120\*\* \|/);
    expect(card).toContain("simulated");
  });
});
