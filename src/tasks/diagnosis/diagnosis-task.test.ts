import { describe, expect, it } from "vitest";
import type { DiagnosisCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import type { Study } from "../../core/study.ts";
import { studySchema } from "../../core/study-schema.ts";
import { diagnosisTask } from "./diagnosis-task.ts";
import { diagnosisMessages } from "./prompt.ts";

const study: Study = studySchema.parse({
  name: "r1-vs-llama",
  task: "diagnosis",
  suite: { id: "dx-core" },
  models: [{ id: "a", provider: "ollama", model: "deepseek-r1:8b" }],
  topK: 3,
});

const testCase: DiagnosisCase = {
  id: "dx-7",
  presentation: "A 30-year-old woman, 7 weeks pregnant by dates, with left iliac fossa pain and spotting.",
  diagnosis: "Ectopic pregnancy",
  accept: ["tubal pregnancy"],
};

const completion: Completion = {
  text: '```json\n{"diagnoses": ["Threatened miscarriage", "Tubal ectopic pregnancy", "Ovarian torsion", "UTI"]}\n```',
  reasoning: "Pregnant, pain, bleeding: exclude ectopic first.",
  finishReason: "stop",
  tokens: { prompt: 180, completion: 60, reasoning: 12 },
  latencyMs: 900,
  model: { provider: "ollama", model: "deepseek-r1:8b" },
};

describe("diagnosisTask", () => {
  it("describes the diagnosis study", () => {
    expect(diagnosisTask.name).toEqual("diagnosis");
    expect(diagnosisTask.requiredFields).toEqual(["presentation", "diagnosis"]);
    expect(diagnosisTask.caseText(testCase)).toEqual(testCase.presentation);
  });

  it("prompts for the study's k and constrains the answer to k entries", () => {
    expect(diagnosisTask.prompt(testCase, study)).toEqual(diagnosisMessages(testCase, { topK: 3 }));
    expect(diagnosisTask.responseSchema(study)).toEqual({
      type: "object",
      properties: { diagnoses: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 3 } },
      required: ["diagnoses"],
      additionalProperties: false,
    });
  });

  it("grades the first k answers of a completion, one decision per answer", () => {
    const referenceConcepts = ["DOID:0060329", "clinval:tubal-pregnancy"];
    const other = { correct: false, rung: "different", matched: null, distance: null, similarity: null };
    expect(diagnosisTask.grade(testCase, completion, study)).toEqual({
      outcome: "correct",
      answers: ["Threatened miscarriage", "Tubal ectopic pregnancy", "Ovarian torsion"],
      rank: 2,
      rung: "synonym",
      lenientRank: 2,
      needsReview: false,
      suggestion: null,
      decisions: [
        {
          answer: "Threatened miscarriage",
          answerConcepts: ["clinval:threatened-miscarriage"],
          referenceConcepts,
          ...other,
        },
        {
          answer: "Tubal ectopic pregnancy",
          rung: "synonym",
          correct: true,
          answerConcepts: ["clinval:tubal-pregnancy"],
          referenceConcepts,
          matched: "tubal pregnancy",
          distance: null,
          similarity: null,
        },
        {
          answer: "Ovarian torsion",
          answerConcepts: ["clinval:ovarian-torsion"],
          referenceConcepts,
          ...other,
        },
      ],
    });
  });
});
