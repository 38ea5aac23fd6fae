import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DiagnosisCase } from "../../src/core/case.ts";
import { mcnemarExactPower, planMcnemar } from "../../src/stats/sample-size.ts";
import { auditDiagnosisCases } from "../../src/suites/audit/audit-suite.ts";
import { resolveBuiltinSuite } from "../../src/suites/builtin-suites.ts";
import { loadCaseFile } from "../../src/suites/load-case-file.ts";
import { normalizeDiagnosis } from "../../src/terminology/normalize.ts";

const SPECIALTIES = ["internal medicine", "surgery", "neurology", "gynecology", "pediatrics"];
const INCIDENCE = ["frequent", "less frequent", "rare"];
const URGENCY = ["emergent", "urgent", "routine"];

/** sha256 of dx-core@1's case file: reports on version 1 quote it, so it must never change. */
const VERSION_1_SHA256 = "7483a3fedc60cc91a99a491e2b338b2edea74e8f2dab0eaa2b5c57792136c978";

/**
 * The card's power assumption: discordance 9% vs 2% (p10, p01), two-sided exact McNemar at alpha 0.01,
 * 80% power. R gives the exact power at 300 pairs as 0.865990 (the sum over m of
 * dbinom(m, 300, 0.11) times the rejection probability given m, as in src/stats/sample-size.ts).
 */
const POWER_PLAN = { p10: 0.09, p01: 0.02, alpha: 0.01, power: 0.8 };
const VERSION_2_CASES = 300;

/** Version 2's specialties, in id order, each 60 cases from its first id. */
const VERSION_2_SPECIALTIES = [
  { specialty: "internal medicine", first: 1 },
  { specialty: "neurology", first: 61 },
  { specialty: "pediatrics", first: 121 },
  { specialty: "surgery", first: 181 },
  { specialty: "gynecology", first: 241 },
];
const VERSION_2_FILE = join(import.meta.dirname, "2", "cases.jsonl");

async function load(path: string): Promise<DiagnosisCase[]> {
  const suite = await loadCaseFile(path, { requiredFields: ["presentation", "diagnosis"] });
  return suite.cases as DiagnosisCase[];
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function count(values: unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

/** Every field present, with values from the card's label sets. */
function schemaProblems(cases: readonly DiagnosisCase[], version: 1 | 2): string[] {
  return cases.flatMap((testCase) => {
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
    if (version === 2) {
      const reject = testCase.reject as unknown;
      if (reject !== undefined && (!Array.isArray(reject) || reject.length < 1 || reject.length > 6))
        found.push("reject");
      if (testCase.mimic !== undefined) {
        const dangerous = (testCase.mustNotMiss ?? []).map(normalizeDiagnosis);
        if (!dangerous.includes(normalizeDiagnosis(testCase.diagnosis)))
          found.push("a mimic case's diagnosis is not in its mustNotMiss");
        if (dangerous.includes(normalizeDiagnosis(String(testCase.mimic))))
          found.push("the mimic is itself a must-not-miss");
      }
    }
    return found.map((problem) => `${testCase.id}: ${problem}`);
  });
}

/** Diagnoses and accepted names used by more than one case. */
function sharedNames(cases: readonly DiagnosisCase[]): string[] {
  const owner = new Map<string, string>();
  const shared: string[] = [];
  for (const testCase of cases) {
    for (const name of [testCase.diagnosis, ...(testCase.accept ?? [])]) {
      const key = normalizeDiagnosis(name);
      const other = owner.get(key);
      if (other !== undefined && other !== testCase.id) shared.push(`${name}: ${other}, ${testCase.id}`);
      owner.set(key, testCase.id);
    }
  }
  return shared;
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

describe("dx-core@1", async () => {
  const path = resolveBuiltinSuite("dx-core@1").path;
  const cases = await load(path);

  it("is byte for byte the case file earlier reports quote", () => {
    expect(sha256(path)).toBe(VERSION_1_SHA256);
  });

  it("has every field, with values from the card's label sets, and each name for one case only", () => {
    expect(schemaProblems(cases, 1)).toEqual([]);
    expect(sharedNames(cases)).toEqual([]);
  });

  it("passes the audit except for the giveaways and broader accepted names its card lists", () => {
    const audit = auditDiagnosisCases(cases);
    // dx-063 is found since the audit reads the Disease Ontology: it files childhood absence epilepsy
    // under absence epilepsy.
    expect(audit.counts).toEqual({ giveaway: 14, leak: 0, "red-flag": 0, label: 22, "near-duplicate": 0 });
    const casesWith = (check: string) => [
      ...new Set(audit.findings.filter((finding) => finding.check === check).map((finding) => finding.case)),
    ];
    expect(casesWith("label")).toEqual([
      "dx-002",
      "dx-006",
      "dx-023",
      "dx-039",
      "dx-044",
      "dx-048",
      "dx-051",
      "dx-052",
      "dx-053",
      "dx-063",
      "dx-069",
      "dx-075",
      "dx-076",
      "dx-105",
    ]);
    expect(casesWith("giveaway")).toEqual([
      "dx-010",
      "dx-014",
      "dx-058",
      "dx-067",
      "dx-072",
      "dx-074",
      "dx-082",
      "dx-084",
      "dx-087",
      "dx-090",
      "dx-108",
      "dx-115",
      "dx-119",
    ]);
  });

  it("has the counts its card states", () => {
    expect(cases.length).toBe(120);
    const bySpecialtyAndTier = count(
      cases.map((testCase) => `${testCase.specialty} / ${testCase.incidence}`),
    );
    expect(Object.values(bySpecialtyAndTier)).toEqual(Array(15).fill(8));
    expect(count(cases.map((testCase) => testCase.urgency))).toEqual({
      emergent: 47,
      urgent: 47,
      routine: 26,
    });
    const card = readFileSync(join(import.meta.dirname, "1", "README.md"), "utf8");
    expect(card).toMatch(/\| \*\*total\*\* +\| +\*\*47\*\* \| +\*\*47\*\* \| +\*\*26\*\* \| +\*\*120\*\* \|/);
    expect(card).toContain("simulated");
  });
});

/** Checks of one specialty's 60 cases, whether read from its draft or from the assembled file. */
function checkSpecialty(cases: readonly DiagnosisCase[], specialty: string, first: number): void {
  const ids = Array.from({ length: 60 }, (_, index) => `dx-${String(first + index).padStart(3, "0")}`);
  expect(cases.map((testCase) => testCase.id)).toEqual(ids);
  expect(cases.filter((testCase) => testCase.specialty !== specialty).map((testCase) => testCase.id)).toEqual(
    [],
  );
  expect(count(cases.map((testCase) => testCase.incidence))).toEqual({
    frequent: 20,
    "less frequent": 20,
    rare: 20,
  });
  expect(cases.slice(0, 20).every((testCase) => testCase.incidence === "frequent")).toBe(true);
  expect(cases.slice(40).every((testCase) => testCase.incidence === "rare")).toBe(true);
}

/**
 * A specialty's row of the version 2 card's urgency table as [emergent, urgent, routine, with a mimic],
 * or undefined while the row still reads "pending".
 */
function cardRow(specialty: string): number[] | undefined {
  const card = readFileSync(join(import.meta.dirname, "2", "README.md"), "utf8");
  const cells = card
    .split("\n")
    .find((line) => line.startsWith(`| ${specialty} `) && line.split("|").length === 8)
    ?.split("|")
    .slice(2, 7)
    .map((cell) => cell.trim());
  if (cells === undefined || cells.includes("pending")) return undefined;
  return [cells[0], cells[1], cells[2], cells[4]].map((cell) => Number.parseInt(cell, 10));
}

describe("dx-core@2", async () => {
  const cases = await load(VERSION_2_FILE);

  it("has every field, with values from the card's label sets, and each name for one case only", () => {
    expect(schemaProblems(cases, 2)).toEqual([]);
    expect(sharedNames(cases)).toEqual([]);
  });

  it("passes the audit except for what the Disease Ontology relates differently from the authors", () => {
    // Found since the audit reads the Disease Ontology, left for the suite's authors to decide.
    const audit = auditDiagnosisCases(cases);
    expect(audit.findings).toEqual([
      { case: "dx-123", check: "label", detail: 'accept "Pyelonephritis" is broader than the reference' },
      {
        case: "dx-242",
        check: "label",
        detail: 'reject "Gestational hypertension" names the reference or an accepted name',
      },
      {
        case: "dx-258",
        check: "label",
        detail: 'reject "Pre-eclampsia" names the reference or an accepted name',
      },
      { case: "dx-271", check: "label", detail: 'accept "Endometrial cancer" is broader than the reference' },
      {
        case: "dx-292",
        check: "label",
        detail: 'accept "Testicular feminisation syndrome" is broader than the reference',
      },
    ]);
  });

  for (const part of VERSION_2_SPECIALTIES) {
    it(`has 60 ${part.specialty} cases, 20 per incidence tier, in id order, with the urgency and mimic counts its card states`, () => {
      const first = `dx-${String(part.first).padStart(3, "0")}`;
      const start = cases.findIndex((testCase) => testCase.id === first);
      const specialty = cases.slice(start, start + 60);
      checkSpecialty(specialty, part.specialty, part.first);
      const row = cardRow(part.specialty);
      if (row !== undefined) {
        const urgency = count(specialty.map((testCase) => testCase.urgency));
        const mimics = specialty.filter((testCase) => testCase.mimic !== undefined).length;
        expect(row).toEqual([urgency.emergent ?? 0, urgency.urgent ?? 0, urgency.routine ?? 0, mimics]);
      }
    });
  }

  it("is planned large enough for the card's paired comparison at alpha 0.01", () => {
    expect(planMcnemar(POWER_PLAN).n).toBe(260);
    expect(mcnemarExactPower(VERSION_2_CASES, POWER_PLAN.p10, POWER_PLAN.p01, POWER_PLAN.alpha)).toBeCloseTo(
      0.86599,
      5,
    );
  });

  it("has the counts its card states", () => {
    expect(cases.length).toBe(VERSION_2_CASES);
    const mimicShare = cases.filter((testCase) => testCase.mimic !== undefined).length / cases.length;
    expect(mimicShare).toBeGreaterThanOrEqual(0.25);
    expect(mimicShare).toBeLessThanOrEqual(0.45);
    const urgency = count(cases.map((testCase) => testCase.urgency));
    const card = readFileSync(join(import.meta.dirname, "2", "README.md"), "utf8");
    const totalRow = new RegExp(
      `\\| \\*\\*total\\*\\* +\\| +\\*\\*${urgency.emergent}\\*\\* \\| +\\*\\*${urgency.urgent}\\*\\* \\| +\\*\\*${urgency.routine}\\*\\* \\| +\\*\\*300\\*\\* \\|`,
    );
    expect(card).toMatch(totalRow);
    expect(card).toContain("not yet been reviewed");
  });
});
