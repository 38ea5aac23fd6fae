import type { TriageCase } from "../../core/case.ts";
import type { ChatMessage } from "../../core/chat.ts";
import { DEFAULT_TRIAGE_LABELS, type Study } from "../../core/study.ts";
import type { JsonSchema } from "../../providers/provider.ts";
import { parsePromptTemplate, type TemplateRules } from "../prompt-template.ts";

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

const TEMPLATE_RULES: TemplateRules<"text" | "labels"> = {
  task: "triage",
  placeholders: ["text", "labels"],
  carries: "report",
};

/** Checks a study's template once (see `parsePromptTemplate` in ../prompt-template.ts). */
export function parseTemplate(template: string, file?: string) {
  return parsePromptTemplate(template, TEMPLATE_RULES, file);
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
  const rendered = parseTemplate(template, study.prompt).render({
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
