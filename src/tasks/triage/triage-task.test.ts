import { describe, expect, it } from "vitest";
import { thrownInputError } from "../../../test/support/thrown-input-error.ts";
import type { TriageCase } from "../../core/case.ts";
import type { Completion } from "../../core/chat.ts";
import type { Study } from "../../core/study.ts";
import { studySchema } from "../../core/study-schema.ts";
import { triageTask } from "./triage-task.ts";

function makeStudy(fields: Record<string, unknown> = {}): Study {
  return studySchema.parse({
    name: "triage-study",
    task: "triage",
    suite: { path: "reports.csv" },
    models: [{ id: "m", provider: "ollama", model: "qwen2.5:1.5b" }],
    ...fields,
  });
}

const REPORT: TriageCase = {
  id: "ct-0007",
  text: "  FINDINGS: Free intraperitoneal air under both hemidiaphragms.\nIMPRESSION: Pneumoperitoneum.  ",
  label: "urgent",
  region: "abdomen/pelvis",
};

function completion(text: string, finishReason: Completion["finishReason"] = "stop"): Completion {
  return {
    text,
    reasoning: null,
    finishReason,
    tokens: { prompt: null, completion: null, reasoning: null },
    latencyMs: 10,
    model: { provider: "ollama", model: "qwen2.5:1.5b" },
  };
}

describe("triageTask.prompt", () => {
  it("asks for one of the default labels, with their definitions, and JSON", () => {
    expect(triageTask.prompt(REPORT, makeStudy())).toEqual([
      {
        role: "system",
        content:
          "You triage radiology reports by clinical urgency. Answer with a JSON object only, without explanations.",
      },
      {
        role: "user",
        content: [
          "Classify the following radiology report into exactly one of these labels, from least to most severe:",
          "- negative: normal, or incidental findings that need no action.",
          "- routine: abnormal findings that need follow-up or treatment, but not today.",
          "- urgent: findings that need action the same day.",
          "",
          "Report:",
          "FINDINGS: Free intraperitoneal air under both hemidiaphragms.\nIMPRESSION: Pneumoperitoneum.",
          "",
          'Answer only with JSON in this form: {"label": "LABEL"}, where LABEL is one of: negative, routine, urgent.',
        ].join("\n"),
      },
    ]);
  });

  it("lists a custom label set in its severity order, without definitions", () => {
    const study = makeStudy({ labels: ["P4", "P3", "P2", "P1"] });
    const user = triageTask.prompt({ ...REPORT, label: "P1" }, study)[1].content;
    expect(user.split("\n")[0]).toBe(
      "Classify the following radiology report into exactly one of these labels, from least to most severe: " +
        "P4, P3, P2, P1.",
    );
    expect(user.split("\n").at(-1)).toBe(
      'Answer only with JSON in this form: {"label": "LABEL"}, where LABEL is one of: P4, P3, P2, P1.',
    );
  });

  it("fills a study template with {{text}} and {{labels}} as the only message", () => {
    const template = "Labels (least to most severe): {{ labels }}\n\n{{text}}\n\nLabel:";
    expect(triageTask.prompt(REPORT, makeStudy(), template)).toEqual([
      {
        role: "user",
        content:
          "Labels (least to most severe): negative, routine, urgent\n\n" +
          "FINDINGS: Free intraperitoneal air under both hemidiaphragms.\nIMPRESSION: Pneumoperitoneum.\n\nLabel:",
      },
    ]);
  });

  it("rejects a template with an unknown placeholder, or without {{text}}", () => {
    const study = { ...makeStudy(), prompt: "/studies/triage-prompt.txt" };
    const unknown = thrownInputError(() =>
      triageTask.prompt(REPORT, study, "Report:\n{{text}}\n{{presentation}}"),
    );
    expect([unknown.message, unknown.location]).toEqual([
      "unknown placeholder {{presentation}}; a triage prompt template may use {{text}} and {{labels}}",
      { file: "/studies/triage-prompt.txt", line: 3, field: "prompt" },
    ]);
    const missing = thrownInputError(() => triageTask.prompt(REPORT, study, "Pick one of {{labels}}."));
    expect(missing.describe()).toBe(
      "/studies/triage-prompt.txt: prompt: the template has no {{text}} placeholder, so the report would not reach the model",
    );
  });
});

describe("triageTask.responseSchema and caseText", () => {
  it("constrains the answer to one label of the study", () => {
    expect(triageTask.responseSchema(makeStudy({ labels: ["low", "high"] }))).toEqual({
      type: "object",
      properties: { label: { type: "string", enum: ["low", "high"] } },
      required: ["label"],
      additionalProperties: false,
    });
  });

  it("gives the report text as it is", () => {
    expect(triageTask.caseText(REPORT)).toBe(REPORT.text);
  });
});

describe("triageTask.grade", () => {
  const study = makeStudy();

  it("grades the extracted label against the reference", () => {
    expect(
      ['{"label": "urgent"}', "Label: routine", "I cannot classify this report.", "Routine or urgent."].map(
        (text) => triageTask.grade(REPORT, completion(text), study),
      ),
    ).toEqual([
      { outcome: "correct", predicted: "urgent" },
      { outcome: "incorrect", predicted: "routine" },
      { outcome: "unparseable", predicted: null },
      { outcome: "unparseable", predicted: null },
    ]);
  });

  it("calls an answer cut off at the token limit truncated, with no label, even if one was written", () => {
    expect(triageTask.grade(REPORT, completion('{"label": "urgent"', "length"), study)).toEqual({
      outcome: "truncated",
      predicted: null,
    });
  });

  it("keeps a classifier's probabilities and moves the urgent cut-off with the study's threshold", () => {
    const text = '{"label": "routine", "probabilities": {"negative": 0.1, "routine": 0.55, "urgent": 0.35}}';
    const probabilities = { negative: 0.1, routine: 0.55, urgent: 0.35 };
    expect(triageTask.grade(REPORT, completion(text), study)).toEqual({
      outcome: "incorrect",
      predicted: "routine",
      probabilities,
    });
    // P(urgent) = 0.35 reaches a cut-off of 0.3, not one of 0.4 (then the likelier of the others, routine).
    expect(triageTask.grade(REPORT, completion(text), { ...study, threshold: 0.3 })).toEqual({
      outcome: "correct",
      predicted: "urgent",
      probabilities,
    });
    expect(triageTask.grade(REPORT, completion(text), { ...study, threshold: 0.4 }).predicted).toBe(
      "routine",
    );
    // Without every label's probability there are none, and the threshold does not apply.
    const partial = '{"label": "routine", "probabilities": {"urgent": 0.9}}';
    expect(triageTask.grade(REPORT, completion(partial), { ...study, threshold: 0.3 })).toEqual({
      outcome: "incorrect",
      predicted: "routine",
    });
  });

  it("uses the study's own labels", () => {
    const custom = makeStudy({ labels: ["P3", "P2", "P1"] });
    expect(triageTask.grade({ ...REPORT, label: "P1" }, completion("Priority: P1"), custom)).toEqual({
      outcome: "correct",
      predicted: "P1",
    });
  });
});

describe("triageTask.checkCase", () => {
  it("accepts cases whose labels are in the study's set", () => {
    expect(
      [REPORT, { ...REPORT, id: "ct-0008", label: "negative" }].map((testCase) =>
        triageTask.checkCase?.(testCase, makeStudy()),
      ),
    ).toEqual([undefined, undefined]);
  });

  it("gives one error per case with a label outside the set, naming the case, value and allowed labels", () => {
    const cases = [
      REPORT,
      { ...REPORT, id: "ct-0009", label: "emergent" },
      { ...REPORT, id: "ct-0010", label: "Urgent" },
    ];
    const problems = cases.flatMap((testCase) => triageTask.checkCase?.(testCase, makeStudy()) ?? []);
    expect(problems.map((problem) => [problem.code, problem.describe()])).toEqual([
      [
        "invalid-case",
        'reports.csv: label: case "ct-0009": label "emergent" is not one of the study\'s labels negative, routine, urgent',
      ],
      [
        "invalid-case",
        'reports.csv: label: case "ct-0010": label "Urgent" is not one of the study\'s labels negative, routine, ' +
          'urgent (labels must match exactly: did you mean "urgent"?)',
      ],
    ]);
  });

  it("names the user's column when the label field is mapped", () => {
    const study = makeStudy({
      suite: { path: "reports.csv", fields: { text: "report_text", label: "severity" } },
      labels: ["low", "high"],
    });
    const problem = triageTask.checkCase?.({ ...REPORT, label: "medium" }, study);
    expect(problem?.location).toEqual({ file: "reports.csv", field: "severity (mapped to label)" });
  });
});
