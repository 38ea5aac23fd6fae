import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DiagnosisCase } from "../../src/core/case.ts";
import type { Completion } from "../../src/core/chat.ts";
import { loadCaseFile } from "../../src/suites/load-case-file.ts";
import { gradeDiagnosis } from "../../src/tasks/diagnosis/grade.ts";

/** The English dx-core v2 cases this suite is paired with. */
const ENGLISH_CASES = join(import.meta.dirname, "..", "dx-core", "2", "cases.jsonl");

const SPECIALTIES = ["internal medicine", "neurology", "pediatrics", "surgery", "gynecology"];
const INCIDENCE = ["frequent", "less frequent", "rare"];
const URGENCY = ["emergent", "urgent", "routine"];
const FIELDS = [
  "id",
  "presentation",
  "diagnosis",
  "accept",
  "reject",
  "diagnosisEn",
  "specialty",
  "incidence",
  "urgency",
  "redFlags",
  "mustNotMiss",
  "lang",
];
const HAN = /\p{Script=Han}/gu;

async function load(path: string): Promise<DiagnosisCase[]> {
  const suite = await loadCaseFile(path, { requiredFields: ["presentation", "diagnosis"] });
  return suite.cases as DiagnosisCase[];
}

async function loadEnglish(): Promise<Map<string, DiagnosisCase>> {
  return new Map((await load(ENGLISH_CASES)).map((testCase) => [testCase.id, testCase]));
}

const cases = await load(join(import.meta.dirname, "cases.jsonl"));
const english = await loadEnglish();

function hanCount(text: string): number {
  return text.match(HAN)?.length ?? 0;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string" && item.length > 0);
}

function count(values: unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

function answered(text: string): Completion {
  return {
    text,
    reasoning: null,
    finishReason: "stop",
    tokens: { prompt: null, completion: null, reasoning: null },
    latencyMs: 0,
    model: { provider: "scripted", model: "scripted" },
  };
}

function lowerCased(names: readonly string[]): string[] {
  return names.map((name) => name.toLowerCase());
}

describe("dx-core-zh suite", () => {
  it("has every field, typed, with values from dx-core's label sets", () => {
    const problems = cases.flatMap((testCase) => {
      const found: string[] = [];
      const record = testCase as Record<string, unknown>;
      const expectedFields = testCase.mimic === undefined ? FIELDS : [...FIELDS, "mimic"];
      if (Object.keys(record).sort().join() !== [...expectedFields].sort().join()) found.push("fields");
      if (!/^dx-\d{3}$/.test(testCase.id)) found.push("id");
      for (const field of ["presentation", "diagnosis", "diagnosisEn"]) {
        if (typeof record[field] !== "string" || (record[field] as string).length === 0) found.push(field);
      }
      if (!SPECIALTIES.includes(testCase.specialty ?? "")) found.push("specialty");
      if (!INCIDENCE.includes(testCase.incidence ?? "")) found.push("incidence");
      if (!URGENCY.includes(testCase.urgency ?? "")) found.push("urgency");
      if (testCase.lang !== "zh") found.push("lang");
      if (!isStringList(testCase.accept) || testCase.accept.length < 2) found.push("accept");
      if (!isStringList(record.reject)) found.push("reject");
      if (!isStringList(testCase.redFlags)) found.push("redFlags");
      if (!isStringList(testCase.mustNotMiss) || testCase.mustNotMiss.length === 0) found.push("mustNotMiss");
      if (
        testCase.mimic !== undefined &&
        (typeof testCase.mimic !== "string" || hanCount(testCase.mimic) === 0)
      )
        found.push("mimic");
      if (hanCount(testCase.diagnosis) === 0) found.push("diagnosis is not a Chinese name");
      if ((testCase.mustNotMiss ?? []).some((name) => hanCount(name) === 0))
        found.push("a must-not-miss name not in Chinese");
      return found.map((problem) => `${testCase.id}: ${problem}`);
    });
    expect(problems).toEqual([]);
  });

  it("holds 60 cases, 4 in each specialty and incidence tier", () => {
    expect(cases.length).toBe(60);
    expect(count(cases.map((testCase) => testCase.specialty))).toEqual(
      Object.fromEntries(SPECIALTIES.map((specialty) => [specialty, 12])),
    );
    expect(count(cases.map((testCase) => `${testCase.specialty} / ${testCase.incidence}`))).toEqual(
      Object.fromEntries(
        SPECIALTIES.flatMap((specialty) => INCIDENCE.map((tier) => [`${specialty} / ${tier}`, 4])),
      ),
    );
  });

  it("pairs each case by id with an English dx-core v2 case", () => {
    const ids = cases.map((testCase) => testCase.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !english.has(id))).toEqual([]);
  });

  it("copies the paired case's reference, subgroups and label shape", () => {
    const mismatches = cases.flatMap((testCase) => {
      const original = english.get(testCase.id);
      if (original === undefined) return [`${testCase.id}: no English case`];
      const found: string[] = [];
      for (const field of ["specialty", "incidence", "urgency"] as const) {
        if (testCase[field] !== original[field]) found.push(field);
      }
      if (testCase.diagnosisEn !== original.diagnosis) found.push("diagnosisEn");
      if ((testCase.mimic === undefined) !== (original.mimic === undefined)) found.push("mimic");
      if (testCase.redFlags?.length !== original.redFlags?.length) found.push("number of red flags");
      if (testCase.mustNotMiss?.length !== original.mustNotMiss?.length)
        found.push("number of must-not-miss");
      return found.map((field) => `${testCase.id}: ${field}`);
    });
    expect(mismatches).toEqual([]);
  });

  it("grades an answer in either language: English reference, accept and reject names are carried over", () => {
    const missing = cases.flatMap((testCase) => {
      const original = english.get(testCase.id);
      if (original === undefined) return [`${testCase.id}: no English case`];
      const accept = lowerCased(testCase.accept ?? []);
      const reject = lowerCased((testCase.reject as string[] | undefined) ?? []);
      return [
        ...[original.diagnosis, ...(original.accept ?? [])]
          .filter((name) => !accept.includes(name.toLowerCase()))
          .map((name) => `${testCase.id}: accept lacks "${name}"`),
        ...((original.reject as string[] | undefined) ?? [])
          .filter((name) => !reject.includes(name.toLowerCase()))
          .map((name) => `${testCase.id}: reject lacks "${name}"`),
        ...(accept.some((name) => hanCount(name) > 0) ? [] : [`${testCase.id}: accept has no Chinese name`]),
      ];
    });
    expect(missing).toEqual([]);
  });

  it("never accepts and rejects the same name, nor accepts one name for two cases", () => {
    const owner = new Map<string, string>();
    const problems: string[] = [];
    for (const testCase of cases) {
      const accepted = lowerCased([testCase.diagnosis, ...(testCase.accept ?? [])]);
      for (const name of lowerCased((testCase.reject as string[] | undefined) ?? [])) {
        if (accepted.includes(name)) problems.push(`${testCase.id}: "${name}" accepted and rejected`);
      }
      for (const name of accepted) {
        const other = owner.get(name);
        if (other !== undefined && other !== testCase.id)
          problems.push(`"${name}": ${other}, ${testCase.id}`);
        owner.set(name, testCase.id);
      }
    }
    expect(problems).toEqual([]);
  });

  it("is graded by the project's grader in either language: the Chinese reject below the Chinese reference", () => {
    const ranks = cases.map((testCase) => {
      const chineseReject = (testCase.reject as string[])[0];
      const chinese = gradeDiagnosis(testCase, answered(`1. ${chineseReject}\n2. ${testCase.diagnosis}`), {
        topK: 3,
      });
      const english = gradeDiagnosis(testCase, answered(`1. ${String(testCase.diagnosisEn)}`), { topK: 3 });
      return { id: testCase.id, chinese: chinese.rank, english: english.rank };
    });
    expect(ranks).toEqual(cases.map((testCase) => ({ id: testCase.id, chinese: 2, english: 1 })));
  });

  it("has every red flag verbatim in the Chinese presentation", () => {
    const missing = cases.flatMap((testCase) =>
      (testCase.redFlags ?? [])
        .filter((flag) => !testCase.presentation.includes(flag))
        .map((flag) => `${testCase.id}: "${flag}"`),
    );
    expect(missing).toEqual([]);
  });

  it("never names the diagnosis or an accepted name, in either language, in the presentation", () => {
    const leaks = cases.flatMap((testCase) => {
      const text = testCase.presentation.toLowerCase();
      return [testCase.diagnosis, String(testCase.diagnosisEn), ...(testCase.accept ?? [])]
        .filter((name) => text.includes(name.toLowerCase()))
        .map((name) => `${testCase.id}: "${name}"`);
    });
    expect(leaks).toEqual([]);
  });

  it("writes each presentation in 150 to 450 Chinese characters", () => {
    const outside = cases
      .map((testCase) => ({ id: testCase.id, characters: hanCount(testCase.presentation) }))
      .filter(({ characters }) => characters < 150 || characters > 450);
    expect(outside).toEqual([]);
  });

  it("has a card whose table matches the counts", () => {
    const card = readFileSync(join(import.meta.dirname, "README.md"), "utf8");
    for (const specialty of SPECIALTIES) {
      expect(card).toMatch(new RegExp(`\\| ${specialty} +\\| +4 \\| +4 \\| +4 \\| +12 \\|`));
    }
    expect(card).toMatch(/\| \*\*total\*\* +\| +\*\*20\*\* \| +\*\*20\*\* \| +\*\*20\*\* \| +\*\*60\*\* \|/);
    expect(card).toContain("not yet been reviewed by a clinician");
  });
});
