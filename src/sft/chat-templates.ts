import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../core/errors.ts";

/**
 * A model chat template clinval brings a training version of, built by scripts/sft/build-chat-templates.py:
 * the model's own template (recognised byte for byte) and the same template with `{% generation %}` markers
 * around the assistant's output and the reasoning of the last assistant turn kept.
 */
interface ChatTemplateEntry {
  models: string;
  form: string;
  /** File names in src/sft/templates/. */
  template: string;
  training: string;
}

const TEMPLATE_DIRECTORY = join(import.meta.dirname, "templates");

export const CHAT_TEMPLATES: Readonly<Record<string, ChatTemplateEntry>> = JSON.parse(
  readFileSync(join(TEMPLATE_DIRECTORY, "chat-templates.json"), "utf8"),
);

/** The file a recipe writes the training template to, beside its configuration. */
export const TRAINING_TEMPLATE_FILE = "training-chat-template.jinja";

export interface TrainingTemplate {
  /** The registry name of the base model's template. */
  name: string;
  content: string;
}

function templateFile(file: string): string {
  return readFileSync(join(TEMPLATE_DIRECTORY, file), "utf8");
}

/**
 * The chat template a local model folder carries: `chat_template.jinja` (transformers 5 writes it) or the
 * `chat_template` of tokenizer_config.json (a string, or the `default` of named templates). `undefined` when
 * `baseModel` is not a folder (a Hugging Face model id), null when the folder carries none.
 */
export function localChatTemplate(baseModel: string): string | null | undefined {
  if (!existsSync(baseModel) || !statSync(baseModel).isDirectory()) return undefined;
  const jinja = join(baseModel, "chat_template.jinja");
  if (existsSync(jinja)) return readFileSync(jinja, "utf8");
  const configFile = join(baseModel, "tokenizer_config.json");
  if (!existsSync(configFile)) return null;
  let config: { chat_template?: unknown };
  try {
    config = JSON.parse(readFileSync(configFile, "utf8"));
  } catch (error) {
    throw new InputError(`not JSON: ${(error as Error).message}`, { file: configFile });
  }
  const template = config.chat_template;
  if (typeof template === "string") return template;
  if (Array.isArray(template)) {
    const named = template.find((item) => item?.name === "default")?.template;
    return typeof named === "string" ? named : null;
  }
  return null;
}

/**
 * The training chat template a TRL recipe brings for assistant-only loss, or null when the base model's own
 * template is left to TRL (which swaps in its training version of the templates it knows and refuses others).
 *
 * A local base model is recognised by its template's text; a model id by the template its preset names
 * (`knownTemplate`), since the model itself is only downloaded at launch.
 */
export function trainingChatTemplate(baseModel: string, knownTemplate?: string): TrainingTemplate | null {
  const local = localChatTemplate(baseModel);
  if (local === undefined) {
    if (knownTemplate === undefined) return null;
    const entry = CHAT_TEMPLATES[knownTemplate];
    if (!entry)
      throw new Error(`no chat template "${knownTemplate}" in src/sft/templates/chat-templates.json`);
    return { name: knownTemplate, content: templateFile(entry.training) };
  }
  if (local === null) return null;
  for (const [name, entry] of Object.entries(CHAT_TEMPLATES)) {
    if (templateFile(entry.template) === local) return { name, content: templateFile(entry.training) };
  }
  return null;
}
