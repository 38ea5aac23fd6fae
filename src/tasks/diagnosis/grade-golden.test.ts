import { describe, expect, it } from "vitest";
import { mulberry32 as random } from "../../../test/support/mulberry32.ts";
import type { DiagnosisCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import { builtinSuitePath } from "../../suites/builtin-suites.ts";
import { loadCaseFile } from "../../suites/load-case-file.ts";
import { defaultTerminology } from "../../terminology/load-terminology.ts";
import type { DiagnosisGrade } from "./diagnosis-grade.ts";
import { gradeDiagnosis } from "./grade.ts";

/**
 * Every decision of a diverse, seeded set of answers (dx-core@1's 120 cases, 6 answer lists each: the
 * case's own names, the terminology's synonyms, children and parents of its concept, other cases'
 * names, each written in many ways) kept in a file: a change meant only to make grading faster must leave it
 * byte for byte as it was, and a change to grading shows, in the file's diff, every decision it changed.
 * Update on purpose with `npx vitest run src/tasks/diagnosis/grade-golden.test.ts -u` and read the diff.
 */

const suite = await loadCaseFile(builtinSuitePath("dx-core@1"), {
  requiredFields: ["presentation", "diagnosis"],
  id: "dx-core@1",
});
const cases = suite.cases as DiagnosisCase[];
const names = [
  ...new Set(
    cases.flatMap((item) => [
      item.diagnosis,
      ...(item.accept ?? []),
      ...(item.mustNotMiss ?? []),
      ...(item.reject ?? []),
    ]),
  ),
];

/** The ways a listed name is written: each a general habit of models, none aimed at a case. */
const WRITINGS: ReadonlyArray<(name: string, next: () => number, other: string) => string> = [
  (name) => name,
  (name) => name.toLowerCase(),
  (name) => name.toUpperCase(),
  (name, next) => {
    const at = 1 + Math.floor(next() * (name.length - 2));
    return name.slice(0, at) + name.slice(at + 1);
  },
  (name, next) => {
    const at = 1 + Math.floor(next() * (name.length - 3));
    return name.slice(0, at) + name[at + 1] + name[at] + name.slice(at + 2);
  },
  (name) => `${name}s`,
  (name) => name.split(" ").reverse().join(" "),
  (name) => `Acute ${name.toLowerCase()}`,
  (name) => `Left ${name.toLowerCase()}`,
  (name) => `${name} (ruled out)`,
  (name) => `${name} – unlikely given the history`,
  (name) => `Not ${name.toLowerCase()}`,
  (name) => `${name} cannot be excluded`,
  (name, _next, other) => `${name} secondary to ${other.toLowerCase()}`,
  (name, _next, other) => `${other} due to ${name.toLowerCase()}`,
  (name, _next, other) => `${name} with ${other.toLowerCase()}`,
  (name, _next, other) => `${other} or ${name.toLowerCase()}`,
  (name, _next, other) => `${name} / ${other}`,
  (name) => `Possible ${name.toLowerCase()}`,
  (name) => `${name}, given the history and examination`,
  (name) => `${name} (most likely)`,
  (name) => name.replace(/(\w+)s\b/, "$1's"),
  (name) => name.replace(/'s\b/, "s").replace(/-/g, " "),
  (name) => name.replace(/ae/g, "e").replace(/or\b/g, "our"),
  (name) => `${name}, unspecified`,
];

function completion(text: string): Completion {
  return {
    text,
    reasoning: null,
    finishReason: "stop",
    tokens: { prompt: 1, completion: 1, reasoning: null },
    latencyMs: 1,
    model: { provider: "fake", model: "fake" },
  };
}

/** The reference's own names and the names the terminology puts beside, below and above its concepts. */
function relatedNames(testCase: DiagnosisCase): string[] {
  const terminology = defaultTerminology();
  const ids = terminology.find(testCase.diagnosis);
  const namesOf = (id: string) => {
    const concept = terminology.concept(id);
    return concept === undefined ? [] : [concept.name, ...concept.synonyms];
  };
  return [
    testCase.diagnosis,
    ...(testCase.accept ?? []),
    ...(testCase.reject ?? []),
    ...ids.flatMap((id) => [
      ...namesOf(id),
      ...[...terminology.descendants(id).keys()].slice(0, 6).flatMap(namesOf),
      ...[...terminology.ancestors(id).keys()].slice(0, 3).flatMap(namesOf),
    ]),
  ];
}

function answerLists(): Array<{ testCase: DiagnosisCase; text: string }> {
  const next = random(8);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const lists: Array<{ testCase: DiagnosisCase; text: string }> = [];
  for (const testCase of cases) {
    const own = relatedNames(testCase);
    for (let list = 0; list < 6; list++) {
      const listed = Array.from({ length: 5 }, () => {
        const name = next() < 0.6 ? pick(own) : pick(names);
        return pick(WRITINGS)(name, next, pick(names));
      });
      const text =
        list % 3 === 0
          ? JSON.stringify({ diagnoses: listed })
          : listed.map((item, index) => `${index + 1}. **${item}**`).join("\n");
      lists.push({ testCase, text });
    }
  }
  return lists;
}

/** One line per graded list, then one per listed answer. */
function describeGrade(testCase: DiagnosisCase, grade: DiagnosisGrade): string[] {
  const head = [
    testCase.id,
    grade.outcome,
    `rank=${grade.rank}`,
    `rung=${grade.rung}`,
    `lenient=${grade.lenientRank}`,
    `review=${grade.needsReview}`,
    grade.suggestion === null ? "" : JSON.stringify(grade.suggestion),
    grade.decisions?.[0]?.referenceConcepts.join(",") ?? "",
  ].join("\t");
  const decisions = (grade.decisions ?? []).map((decision) =>
    [
      "",
      decision.answer,
      decision.rung,
      decision.correct,
      decision.matched,
      decision.distance,
      decision.similarity,
      decision.answerConcepts.join(","),
    ].join("\t"),
  );
  return [head, ...decisions];
}

describe("grading a diverse set of answers", () => {
  const lists = answerLists();

  it("decides every answer as recorded", async () => {
    const lines = lists.flatMap(({ testCase, text }) =>
      describeGrade(testCase, gradeDiagnosis(testCase, completion(text), { topK: 5 })),
    );
    await expect(`${lines.join("\n")}\n`).toMatchFileSnapshot("fixtures/graded-answers.tsv");
  });

  it("decides the same whatever was graded before (in reverse order, on copies of the cases)", () => {
    const forward = lists.map(({ testCase, text }) =>
      gradeDiagnosis(testCase, completion(text), { topK: 5 }),
    );
    const backward = [...lists]
      .reverse()
      .map(({ testCase, text }) => gradeDiagnosis({ ...testCase }, completion(text), { topK: 5 }))
      .reverse();
    expect(backward).toEqual(forward);
  });
});
