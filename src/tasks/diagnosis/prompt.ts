import type { DiagnosisCase } from "../../core/case.ts";
import type { ChatMessage } from "../../core/chat.ts";
import { InputError } from "../../core/errors.ts";
import type { Study } from "../../core/study.ts";
import type { JsonSchema } from "../../providers/provider.ts";

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

export const TEMPLATE_PLACEHOLDERS = ["presentation", "k"] as const;
type Placeholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** A study's prompt template, checked once and rendered per case. */
export interface PromptTemplate {
  render(values: Record<Placeholder, string>): string;
}

/**
 * Checks a template: `{{presentation}}` must appear, and `{{presentation}}` and `{{k}}` (spaces inside
 * the braces allowed) are the only placeholders. `file` is the template's path as the study gives it,
 * for the error message.
 */
export function parsePromptTemplate(template: string, file?: string): PromptTemplate {
  const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;
  let hasPresentation = false;
  for (const match of template.matchAll(placeholder)) {
    const name = match[1];
    if (name === "presentation") hasPresentation = true;
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) {
      const line = template.slice(0, match.index).split("\n").length;
      throw new InputError(
        `unknown placeholder {{${name}}}; a diagnosis prompt template may use {{presentation}} and {{k}}`,
        { file, line, field: "prompt" },
      );
    }
  }
  if (!hasPresentation) {
    throw new InputError(
      "the template has no {{presentation}} placeholder, so the case would not reach the model",
      {
        file,
        field: "prompt",
      },
    );
  }
  return {
    render: (values) => template.replace(placeholder, (_, name: Placeholder) => values[name]),
  };
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
  const rendered = parsePromptTemplate(template, study.prompt).render({
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
