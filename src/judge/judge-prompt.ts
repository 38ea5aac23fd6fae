import { z } from "zod";
import { JUDGE_RELATIONS, type JudgeVerdict } from "../core/adjudication.ts";
import type { ChatMessage, Completion } from "../core/chat.ts";
import type { JsonSchema } from "../providers/provider.ts";
import { jsonSpans } from "../tasks/json-spans.ts";

/** The fixed rubric. Changing it changes every cache key, so earlier verdicts are not reused. */
export const JUDGE_SYSTEM_PROMPT = [
  "You are a physician checking a diagnosis against a reference diagnosis.",
  "Decide how the candidate diagnosis relates to the reference diagnosis, choosing exactly one verdict:",
  '- "same": the same disease, under any name, abbreviation or spelling;',
  '- "more-specific": a subtype, stage or more precise form of the reference disease;',
  '- "broader": a more general category that contains the reference disease;',
  '- "related": a different disease that is clinically related (same organ, cause or mechanism);',
  '- "different": a different disease.',
  'A candidate that rules the disease out or calls it unlikely is "different".',
  'Answer with JSON only: {"verdict": "…", "rationale": "one short sentence"}.',
].join("\n");

export function judgeMessages(reference: string, answer: string): ChatMessage[] {
  return [
    { role: "system", content: JUDGE_SYSTEM_PROMPT },
    { role: "user", content: `Reference diagnosis: ${reference}\nCandidate diagnosis: ${answer}` },
  ];
}

export const JUDGE_RESPONSE_SCHEMA: JsonSchema = {
  type: "object",
  properties: {
    verdict: { type: "string", enum: [...JUDGE_RELATIONS] },
    rationale: { type: "string" },
  },
  required: ["verdict", "rationale"],
  additionalProperties: false,
};

const verdictSchema = z.object({
  verdict: z.enum(JUDGE_RELATIONS),
  rationale: z.string(),
});

const EXCERPT = 120;

/**
 * Reads the judge's verdict from its answer (after any reasoning): the first JSON object with a verdict
 * of the rubric. Anything else — no JSON, an unknown verdict, an answer cut off at the token limit — is
 * `unparseable`, with what came back quoted in the rationale; it never counts as correct.
 */
export function parseVerdict(completion: Completion): { verdict: JudgeVerdict; rationale: string } {
  if (completion.finishReason === "length") {
    return { verdict: "unparseable", rationale: "the judge's answer was cut off at the token limit" };
  }
  for (const span of jsonSpans(completion.text, "{")) {
    let value: unknown;
    try {
      value = JSON.parse(span);
    } catch {
      continue;
    }
    const parsed = verdictSchema.safeParse(value);
    if (parsed.success) {
      return { verdict: parsed.data.verdict, rationale: oneLine(parsed.data.rationale) };
    }
  }
  const text = oneLine(completion.text);
  const excerpt = text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
  return {
    verdict: "unparseable",
    rationale: `the judge gave no verdict of the rubric: "${excerpt}"`,
  };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
