/** One supervised example, before it is written in a trainer's format. */
export interface TrainingExample {
  /** Where it came from: `file:line` for data files, the case id for suites. */
  origin: string;
  /** Index into the prepared sources. */
  source: number;
  system?: string;
  prompt: string;
  /** The chain of thought, when the source has one. */
  reasoning?: string;
  answer: string;
  /** The class it is stratified by (a triage label or a diagnosis suite's specialty; "" when none). */
  stratum: string;
}

export const OUTPUT_FORMATS = ["chat", "sharegpt", "alpaca"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const REASONING_STYLES = ["r1", "none"] as const;
/**
 * `r1`: the reasoning inside `<think>…</think>` before the answer, as DeepSeek-R1 and its distills write it;
 * `none`: the answer only.
 */
export type ReasoningStyle = (typeof REASONING_STYLES)[number];

/** The assistant's turn as the model should learn to write it. */
export function assistantText(example: TrainingExample, style: ReasoningStyle): string {
  if (style === "r1" && example.reasoning !== undefined) {
    return `<think>\n${example.reasoning.trim()}\n</think>\n\n${example.answer.trim()}`;
  }
  return example.answer.trim();
}

/** The whole text a model reads and writes for the example (for token counts). */
export function exampleText(example: TrainingExample, style: ReasoningStyle): string {
  return [example.system, example.prompt, assistantText(example, style)].filter(Boolean).join("\n");
}

/** One line of the training file in the chosen format. */
export function formatExample(example: TrainingExample, format: OutputFormat, style: ReasoningStyle): string {
  const assistant = assistantText(example, style);
  switch (format) {
    case "chat":
      return JSON.stringify({
        messages: [
          ...(example.system ? [{ role: "system", content: example.system }] : []),
          { role: "user", content: example.prompt },
          { role: "assistant", content: assistant },
        ],
      });
    case "sharegpt":
      return JSON.stringify({
        ...(example.system ? { system: example.system } : {}),
        conversations: [
          { from: "human", value: example.prompt },
          { from: "gpt", value: assistant },
        ],
      });
    case "alpaca":
      return JSON.stringify({
        ...(example.system ? { system: example.system } : {}),
        instruction: example.prompt,
        input: "",
        output: assistant,
      });
  }
}

/** The text of the user's turn(s) and the assistant's turn of a line written by `formatExample`, or of similar files from elsewhere. */
export function readTrainingLine(value: unknown): { prompt: string; response: string } | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const record = value as Record<string, unknown>;
  const turns = Array.isArray(record.messages)
    ? record.messages.map((turn) => ({ role: String(turn?.role), text: String(turn?.content ?? "") }))
    : Array.isArray(record.conversations)
      ? record.conversations.map((turn) => ({
          role: String(turn?.from) === "gpt" ? "assistant" : String(turn?.from),
          text: String(turn?.value ?? ""),
        }))
      : undefined;
  if (turns) {
    return {
      prompt: turns
        .filter((turn) => turn.role === "user" || turn.role === "human")
        .map((turn) => turn.text)
        .join("\n"),
      response: turns
        .filter((turn) => turn.role === "assistant")
        .map((turn) => turn.text)
        .join("\n"),
    };
  }
  if (typeof record.instruction === "string") {
    return {
      prompt: [record.instruction, typeof record.input === "string" ? record.input : ""]
        .filter(Boolean)
        .join("\n"),
      response: typeof record.output === "string" ? record.output : "",
    };
  }
  return undefined;
}
