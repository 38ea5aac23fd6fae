import { InputError } from "../core/errors.ts";

/** A study's prompt template, checked once and rendered per case. */
export interface PromptTemplate<P extends string> {
  render(values: Record<P, string>): string;
}

export interface TemplateRules<P extends string> {
  /** The task, for messages: "diagnosis", "triage". */
  task: string;
  /** Every placeholder the task fills; the first must appear, since it carries the case to the model. */
  placeholders: readonly [P, ...P[]];
  /** What the required placeholder carries, for the message: "case", "report". */
  carries: string;
}

/**
 * Checks a template once: the first placeholder must appear, and only the task's placeholders may be used
 * (`{{ name }}`, spaces inside the braces allowed). `file` is the template's path as the study gives it.
 */
export function parsePromptTemplate<P extends string>(
  template: string,
  rules: TemplateRules<P>,
  file?: string,
): PromptTemplate<P> {
  const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;
  const [required] = rules.placeholders;
  const allowed = rules.placeholders.map((name) => `{{${name}}}`).join(" and ");
  let hasRequired = false;
  for (const match of template.matchAll(placeholder)) {
    const name = match[1];
    if (name === required) hasRequired = true;
    if (!(rules.placeholders as readonly string[]).includes(name)) {
      const line = template.slice(0, match.index).split("\n").length;
      throw new InputError(
        `unknown placeholder {{${name}}}; a ${rules.task} prompt template may use ${allowed}`,
        {
          file,
          line,
          field: "prompt",
        },
      );
    }
  }
  if (!hasRequired) {
    throw new InputError(
      `the template has no {{${required}}} placeholder, so the ${rules.carries} would not reach the model`,
      { file, field: "prompt" },
    );
  }
  return {
    render: (values) => template.replace(placeholder, (_, name: P) => values[name]),
  };
}
