import type { DiagnosisCase } from "../../core/case.ts";
import type { ChatMessage } from "../../core/chat.ts";
import type { Study } from "../../core/study.ts";
import type { JsonSchema } from "../../providers/provider.ts";
import { parsePromptTemplate, type TemplateRules } from "../prompt-template.ts";

/** A brief role; every instruction that matters is in the user message. */
export const DEFAULT_SYSTEM_PROMPT =
  "You assist physicians with differential diagnosis. Answer with a JSON object only, without explanations.";

/** The default user message: the task, the case, and the answer format. */
export function defaultUserPrompt(presentation: string, k: number): string {
  const task =
    k === 1
      ? "Give the single most likely preliminary diagnosis for the following case."
      : `Give the ${k} most likely preliminary diagnoses for the following case, ranked from most to least likely.`;
  const example = k === 1 ? '{"diagnoses": ["diagnosis"]}' : '{"diagnoses": ["most likely diagnosis", "…"]}';
  return [
    task,
    "Use standard diagnosis names, one diagnosis per entry.",
    "",
    "Case:",
    presentation.trim(),
    "",
    `Answer only with JSON in this form: ${example}`,
  ].join("\n");
}

const TEMPLATE_RULES: TemplateRules<"presentation" | "k"> = {
  task: "diagnosis",
  placeholders: ["presentation", "k"],
  carries: "case",
};

/** Checks a study's template once (see `parsePromptTemplate` in ../prompt-template.ts). */
export function parseTemplate(template: string, file?: string) {
  return parsePromptTemplate(template, TEMPLATE_RULES, file);
}

/**
 * The messages for one case: the default system and user prompts, or, when the study gives a template,
 * the rendered template as the only (user) message — the template then owns the whole prompt, which lets
 * a study follow model cards that advise against a system prompt.
 */
export function diagnosisMessages(
  testCase: DiagnosisCase,
  study: Pick<Study, "topK" | "prompt">,
  template?: string,
): ChatMessage[] {
  if (template === undefined) {
    return [
      { role: "system", content: DEFAULT_SYSTEM_PROMPT },
      { role: "user", content: defaultUserPrompt(testCase.presentation, study.topK) },
    ];
  }
  const rendered = parseTemplate(template, study.prompt).render({
    presentation: testCase.presentation.trim(),
    k: String(study.topK),
  });
  return [{ role: "user", content: rendered }];
}

/** `{"diagnoses": [1..k strings]}`, for backends that can constrain decoding to a schema. */
export function diagnosisResponseSchema(k: number): JsonSchema {
  return {
    type: "object",
    properties: {
      diagnoses: { type: "array", items: { type: "string" }, minItems: 1, maxItems: k },
    },
    required: ["diagnoses"],
    additionalProperties: false,
  };
}
