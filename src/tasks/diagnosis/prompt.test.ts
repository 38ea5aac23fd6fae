import { describe, expect, it } from "vitest";
import { thrownInputError } from "../../../test/support/thrown-input-error.ts";
import type { DiagnosisCase } from "../../core/case.ts";
import {
  DEFAULT_SYSTEM_PROMPT,
  diagnosisMessages,
  diagnosisResponseSchema,
  parseTemplate,
} from "./prompt.ts";

const testCase: DiagnosisCase = {
  id: "dx-1",
  presentation: "  A 67-year-old woman with sudden tearing chest pain radiating to the back.  ",
  diagnosis: "Aortic dissection",
};

describe("diagnosisMessages", () => {
  it("asks for the k most likely diagnoses, ranked, as JSON, with the case text", () => {
    expect(diagnosisMessages(testCase, { topK: 5 })).toEqual([
      { role: "system", content: DEFAULT_SYSTEM_PROMPT },
      {
        role: "user",
        content: [
          "Give the 5 most likely preliminary diagnoses for the following case, ranked from most to least likely.",
          "Use standard diagnosis names, one diagnosis per entry.",
          "",
          "Case:",
          "A 67-year-old woman with sudden tearing chest pain radiating to the back.",
          "",
          'Answer only with JSON in this form: {"diagnoses": ["most likely diagnosis", "…"]}',
        ].join("\n"),
      },
    ]);
  });

  it("asks for a single diagnosis when k is 1", () => {
    const [, user] = diagnosisMessages(testCase, { topK: 1 });
    expect(user.content.split("\n")[0]).toEqual(
      "Give the single most likely preliminary diagnosis for the following case.",
    );
    expect(user.content.split("\n").at(-1)).toEqual(
      'Answer only with JSON in this form: {"diagnoses": ["diagnosis"]}',
    );
  });

  it("renders a study's template as the only message", () => {
    const template = "Case: {{presentation}}\nList {{ k }} diagnoses, most likely first, as JSON.";
    expect(diagnosisMessages(testCase, { topK: 3, prompt: "prompts/dx.txt" }, template)).toEqual([
      {
        role: "user",
        content:
          "Case: A 67-year-old woman with sudden tearing chest pain radiating to the back.\nList 3 diagnoses, most likely first, as JSON.",
      },
    ]);
  });

  it("does not read placeholders inside the case text", () => {
    const [message] = diagnosisMessages(
      { ...testCase, presentation: "Says {{k}} twice" },
      { topK: 2 },
      "{{presentation}} / {{k}}",
    );
    expect(message).toEqual({ role: "user", content: "Says {{k}} twice / 2" });
  });
});

describe("parseTemplate", () => {
  it("names an unknown placeholder with its file and line", () => {
    const error = thrownInputError(() =>
      parseTemplate("Case:\n{{presentation}}\nAge: {{age}}", "prompts/dx.txt"),
    );
    expect(error.location).toEqual({ file: "prompts/dx.txt", line: 3, field: "prompt" });
    expect(error.describe()).toEqual(
      "prompts/dx.txt:3: prompt: unknown placeholder {{age}}; a diagnosis prompt template may use {{presentation}} and {{k}}",
    );
  });

  it("requires {{presentation}}", () => {
    const error = thrownInputError(() => parseTemplate("List {{k}} diagnoses."));
    expect(error.describe()).toEqual(
      "prompt: the template has no {{presentation}} placeholder, so the case would not reach the model",
    );
  });

  it("treats a misspelt placeholder as unknown", () => {
    expect(thrownInputError(() => parseTemplate("{{Presentation}}")).message).toEqual(
      "unknown placeholder {{Presentation}}; a diagnosis prompt template may use {{presentation}} and {{k}}",
    );
  });
});

describe("diagnosisResponseSchema", () => {
  it("asks for an object with 1 to k diagnosis strings", () => {
    expect(diagnosisResponseSchema(5)).toEqual({
      type: "object",
      properties: { diagnoses: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 5 } },
      required: ["diagnoses"],
      additionalProperties: false,
    });
  });
});
