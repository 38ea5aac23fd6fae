import type { TriageCase } from "../../core/case.ts";
import type { ChatMessage } from "../../core/chat.ts";
import { InputError } from "../../core/errors.ts";
import { DEFAULT_TRIAGE_LABELS, type Study } from "../../core/study.ts";
import type { JsonSchema } from "../../providers/provider.ts";

/** The study's labels, least to most severe: its own, or negative / routine / urgent. */
export function triageLabels(study: Pick<Study, "labels">): string[] {
  return study.labels ?? DEFAULT_TRIAGE_LABELS;
}

/** The meaning of the default labels, as the ct-triage suite card defines them. */
export const DEFAULT_LABEL_DEFINITIONS: Readonly<Record<string, string>> = {
  negative: "normal, or incidental findings that need no action",
  routine: "abnormal findings that need follow-up or treatment, but not today",
  urgent: "findings that need action the same day",
};

/** A brief role; every instruction that matters is in the user message. */
export const DEFAULT_SYSTEM_PROMPT =
  "You triage radiology reports by clinical urgency. Answer with a JSON object only, without explanations.";

function usesDefaultLabels(labels: readonly string[]): boolean {
  return (
    labels.length === DEFAULT_TRIAGE_LABELS.length &&
    labels.every((label, index) => label === DEFAULT_TRIAGE_LABELS[index])
  );
}

/**
 * The default user message: the task, the labels (with definitions for the default set; a custom set is
 * listed in its severity order without definitions), the report, and the answer format.
 */
export function defaultUserPrompt(text: string, labels: readonly string[]): string {
  const choices = usesDefaultLabels(labels)
    ? [
        "Classify the following radiology report into exactly one of these labels, from least to most severe:",
        ...labels.map((label) => `- ${label}: ${DEFAULT_LABEL_DEFINITIONS[label]}.`),
      ]
    : [
        "Classify the following radiology report into exactly one of these labels, from least to most severe: " +
          `${labels.join(", ")}.`,
      ];
  return [
    ...choices,
    "",
    "Report:",
    text.trim(),
    "",
    `Answer only with JSON in this form: {"label": "LABEL"}, where LABEL is one of: ${labels.join(", ")}.`,
  ].join("\n");
}

export const TEMPLATE_PLACEHOLDERS = ["text", "labels"] as const;
type Placeholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** A study's prompt template, checked once and rendered per case. */
export interface PromptTemplate {
  render(values: Record<Placeholder, string>): string;
}

/**
 * Checks a template: `{{text}}` must appear, and `{{text}}` and `{{labels}}` (spaces inside the braces
 * allowed) are the only placeholders. `file` is the template's path, for the error message.
 */
export function parsePromptTemplate(template: string, file?: string): PromptTemplate {
  const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;
  let hasText = false;
  for (const match of template.matchAll(placeholder)) {
    const name = match[1];
    if (name === "text") hasText = true;
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) {
      const line = template.slice(0, match.index).split("\n").length;
      throw new InputError(
        `unknown placeholder {{${name}}}; a triage prompt template may use {{text}} and {{labels}}`,
        { file, line, field: "prompt" },
      );
    }
  }
  if (!hasText) {
    throw new InputError(
      "the template has no {{text}} placeholder, so the report would not reach the model",
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
 * The messages for one report: the default system and user prompts, or, when the study gives a template,
 * the rendered template as the only (user) message.
 */
export function triageMessages(
  testCase: TriageCase,
  study: Pick<Study, "labels" | "prompt">,
  template?: string,
): ChatMessage[] {
  const labels = triageLabels(study);
  if (template === undefined) {
    return [
      { role: "system", content: DEFAULT_SYSTEM_PROMPT },
      { role: "user", content: defaultUserPrompt(testCase.text, labels) },
    ];
  }
  const rendered = parsePromptTemplate(template, study.prompt).render({
    text: testCase.text.trim(),
    labels: labels.join(", "),
  });
  return [{ role: "user", content: rendered }];
}

/** `{"label": one of the labels}`, for backends that can constrain decoding to a schema. */
export function triageResponseSchema(labels: readonly string[]): JsonSchema {
  return {
    type: "object",
    properties: { label: { type: "string", enum: [...labels] } },
    required: ["label"],
    additionalProperties: false,
  };
}
