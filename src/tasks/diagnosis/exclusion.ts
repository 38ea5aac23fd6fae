/**
 * Words by which a listed answer excludes itself: "Appendicitis (ruled out)", "PE – excluded by a normal
 * D-dimer", "Not appendicitis", "Meningitis unlikely", "less likely: migraine". Such an answer never counts.
 * "Rule out X" / "r/o X" lists X as something to test for, and "cannot be excluded" keeps it possible:
 * neither excludes.
 */
const EXCLUDING =
  /\b(?:ruled out|excluded|unlikely|less likely|least likely|not likely|improbable|no evidence (?:of|for)|no signs? of|not supported|negative for|not consistent with|inconsistent with|doubtful)\b|^\W*(?:not|no)\s/i;

const STILL_POSSIBLE =
  /\b(?:cannot|can't|can ?not|could not|couldn't|not|must|should|to|needs? to|yet to)\s+(?:be\s+|been\s+|yet\s+)*(?:excluded|ruled out)\b|\bnot\s+(?:un)?likely to be excluded\b|\bnot\s+(?:so\s+)?unlikely\b/i;

/** True when the text of a listed answer (with its explanation) says the diagnosis is excluded or unlikely. */
export function isSelfExcluding(text: string): boolean {
  const bounded = text.length > MAX_CHECKED ? text.slice(0, MAX_CHECKED) : text;
  return EXCLUDING.test(bounded) && !STILL_POSSIBLE.test(bounded);
}

/** An entry of a differential is a line or two: exclusion words further on belong to other prose. */
const MAX_CHECKED = 2_000;
