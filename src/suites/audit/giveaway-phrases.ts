import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/**
 * A phrase that hands a vignette's diagnosis over: a named pathognomonic sign, a named imaging or
 * laboratory finding, or a test that is ordered only once the diagnosis is suspected.
 */
export interface GiveawayPhrase {
  id: string;
  kind: "pathognomonic sign" | "described sign" | "named finding" | "naming test";
  /** Matched case-insensitively against the presentation. */
  pattern: RegExp;
  /** Why the phrase gives the answer away, and what a vignette should say instead. */
  rationale: string;
}

const phraseSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/),
  kind: z.enum(["pathognomonic sign", "described sign", "named finding", "naming test"]),
  pattern: z.string().min(1),
  rationale: z.string().min(20),
});

/** The maintained list, giveaway-phrases.json beside this file. */
export const GIVEAWAY_PHRASES_FILE = join(import.meta.dirname, "giveaway-phrases.json");

/** Reads and checks a giveaway list; a malformed entry, duplicate id or invalid pattern throws. */
export function parseGiveawayPhrases(text: string, file = GIVEAWAY_PHRASES_FILE): GiveawayPhrase[] {
  const entries = z.array(phraseSchema).parse(JSON.parse(text));
  const seen = new Set<string>();
  return entries.map((entry) => {
    if (seen.has(entry.id)) throw new Error(`${file}: duplicate giveaway id "${entry.id}"`);
    seen.add(entry.id);
    let pattern: RegExp;
    try {
      pattern = new RegExp(entry.pattern, "iu");
    } catch (error) {
      throw new Error(`${file}: giveaway "${entry.id}": ${(error as Error).message}`);
    }
    return { ...entry, pattern };
  });
}

let shipped: GiveawayPhrase[] | undefined;

/** The giveaway list shipped with clinval, read once. */
export function giveawayPhrases(): GiveawayPhrase[] {
  shipped ??= parseGiveawayPhrases(readFileSync(GIVEAWAY_PHRASES_FILE, "utf8"));
  return shipped;
}
