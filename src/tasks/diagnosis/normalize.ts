/**
 * Qualifying words that describe a diagnosis without naming another one: onset, course, severity,
 * side, cause class, type. They decide two things: an inverted name ("Appendicitis, acute") is put back
 * in reading order only when everything after the comma is made of them, and a fuzzy suggestion is made
 * when an answer lacks only such words of the reference ("pancreatitis" for "acute pancreatitis").
 */
export const QUALIFYING_WORDS: ReadonlySet<string> = new Set([
  "acute",
  "subacute",
  "hyperacute",
  "chronic",
  "recurrent",
  "relapsing",
  "persistent",
  "transient",
  "primary",
  "secondary",
  "congenital",
  "acquired",
  "community",
  "hospital",
  "nosocomial",
  "idiopathic",
  "complicated",
  "uncomplicated",
  "simple",
  "severe",
  "mild",
  "moderate",
  "massive",
  "early",
  "late",
  "onset",
  "bilateral",
  "unilateral",
  "left",
  "right",
  "spontaneous",
  "traumatic",
  "juvenile",
  "adult",
  "neonatal",
  "infantile",
  "benign",
  "malignant",
  "viral",
  "bacterial",
  "fungal",
  "partial",
  "complete",
  "incomplete",
  "focal",
  "generalized",
  "diffuse",
  "isolated",
  "ruptured",
  "perforated",
  "necrotizing",
  "hemorrhagic",
  "gangrenous",
  "suppurative",
  "obstructive",
  "calculous",
  "acalculous",
  "type",
]);

const GREEK_LETTERS: Record<string, string> = {
  α: "alpha",
  β: "beta",
  γ: "gamma",
  δ: "delta",
  κ: "kappa",
  λ: "lambda",
};

/** Prefixes written joined, hyphenated or apart ("pre-eclampsia", "preeclampsia", "pre eclampsia"). */
const JOINED_PREFIXES = new Set([
  "pre",
  "post",
  "non",
  "anti",
  "pseudo",
  "intra",
  "extra",
  "inter",
  "peri",
  "para",
  "retro",
  "sub",
  "supra",
  "infra",
  "trans",
  "re",
  "hyper",
  "hypo",
  "poly",
  "multi",
  "auto",
  "neo",
  "micro",
  "macro",
  "hemi",
]);

/**
 * British spellings and their American forms, as fragments inside a word. Both sides of every
 * comparison go through the same rules, so a rule only has to bring the two spellings together.
 */
const SPELLING_RULES: ReadonlyArray<[RegExp, string]> = [
  // German eponyms written with "oe"/"ue" for an umlaut: the umlaut loses its accent instead.
  [/^(schr|l|sj|sch)oe(tter|fgren|gren|nlein)$/, "$1o$2"],
  [/^kuester$/, "kuster"],
  [/^goitre(s?)$/, "goiter$1"],
  [/haem/g, "hem"],
  [/aemi(a|c)/g, "emi$1"],
  [/ischaem/g, "ischem"],
  [/^anaes/, "anes"],
  [/paed/g, "ped"],
  [/caec/g, "cec"],
  [/faec/g, "fec"],
  [/caes/g, "ces"],
  [/gynaec/g, "gynec"],
  [/praev/g, "prev"],
  [/aetiol/g, "etiol"],
  [/oesoph/g, "esoph"],
  [/oedem/g, "edem"],
  [/^oestr/, "estr"],
  [/coel/g, "cel"],
  [/foet/g, "fet"],
  [/amoeb/g, "ameb"],
  [/manoeuv/g, "maneuv"],
  [/oea(l?)$/, "ea$1"],
  [/leuc/g, "leuk"],
  [/sulph/g, "sulf"],
  // What the fragments above leave (phaeochromocytoma, paraesthesia). "oe" has no such rule: it also
  // joins combining forms in American spelling (gastroenteritis, angioedema).
  [/ae/g, "e"],
  [/^(tum|hum|behavi|col|lab|od)our/, "$1or"],
  [/ys(e|ed|es|ing)$/, "yz$1"],
  [/is(ation|ations|ed)$/, "iz$1"],
  [/^(cent|fib|lit|met|calib)re(s?)$/, "$1er$2"],
  [/^aluminium$/, "aluminum"],
  [/^grey$/, "gray"],
];

const ORDINALS: Record<string, string> = {
  first: "1st",
  second: "2nd",
  third: "3rd",
  fourth: "4th",
  fifth: "5th",
  sixth: "6th",
  seventh: "7th",
  eighth: "8th",
  ninth: "9th",
  tenth: "10th",
  eleventh: "11th",
  twelfth: "12th",
};

const ROMAN_NUMERALS: Record<string, string> = {
  i: "1",
  ii: "2",
  iii: "3",
  iv: "4",
  v: "5",
  vi: "6",
  vii: "7",
  viii: "8",
  ix: "9",
  x: "10",
  xi: "11",
  xii: "12",
};

/** Words after which a roman numeral is a number: "type II", "factor VIII", "CN III", "grade IV". */
const NUMBERED_WORDS = new Set(["type", "grade", "stage", "class", "phase", "factor", "cn", "nerve"]);

const LEADING_ARTICLES = new Set(["a", "an", "the"]);

/**
 * The form two diagnosis names are compared in: lower case, accents and punctuation removed, British
 * spellings made American (haemorrhage → hemorrhage, oesophagus → esophagus), possessives dropped
 * (Crohn's → crohn), inverted names put in reading order ("Appendicitis, acute" → "acute appendicitis"),
 * roman numerals after type/grade/factor… as digits, and ordinal words as ordinals (third → 3rd).
 * Every word that carries clinical meaning is kept: "acute", "chronic", "type 1" are not dropped.
 */
export function normalizeDiagnosis(name: string): string {
  let normalized = normalizedNames.get(name);
  if (normalized === undefined) {
    if (normalizedNames.size >= CACHE_LIMIT) normalizedNames.clear();
    normalized = normalize(name);
    normalizedNames.set(name, normalized);
  }
  return normalized;
}

/**
 * Running text (a model's reasoning) in the same form as `normalizeDiagnosis`, so a normalised name can be
 * looked up in it as a phrase. Not cached: each text is seen once.
 */
export function normalizeText(text: string): string {
  return normalize(text);
}

/** Grading compares the same few thousand names over and over: each is normalised once. */
const normalizedNames = new Map<string, string>();
const CACHE_LIMIT = 100_000;

function normalize(name: string): string {
  let text = name.normalize("NFKC").replace(/[αβγδκλ]/g, (letter) => ` ${GREEK_LETTERS[letter]} `);
  text = text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  text = text
    .replace(/[’‘`´]/g, "'")
    .replace(/'s\b/g, "")
    .replace(/'/g, "");
  text = text.replace(/&/g, " and ");
  text = text.replace(/(?:,\s*|\s+)(?:unspecified|not otherwise specified|nos)\.?\s*$/, "");
  text = reorderInvertedName(text);
  // Combining forms ending in -o join the next word across a hyphen: gastro-oesophageal, tubo-ovarian.
  text = text.replace(/(\p{L}{2,}o)-(?=\p{L})/gu, "$1");
  const words = text.split(/[^\p{L}\p{N}]+/u).filter((word) => word !== "");
  const joined: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index];
    if (JOINED_PREFIXES.has(word) && index + 1 < words.length && /^\p{L}/u.test(words[index + 1])) {
      words[index + 1] = word + words[index + 1];
      continue;
    }
    joined.push(word);
  }
  const result = joined.map(americanSpelling).map((word, index, all) => {
    if (index > 0 && NUMBERED_WORDS.has(all[index - 1]) && ROMAN_NUMERALS[word]) return ROMAN_NUMERALS[word];
    return ORDINALS[word] ?? word;
  });
  while (result.length > 1 && LEADING_ARTICLES.has(result[0])) result.shift();
  return result.join(" ");
}

function americanSpelling(word: string): string {
  let result = americanWords.get(word);
  if (result === undefined) {
    result = word;
    for (const [pattern, replacement] of SPELLING_RULES) result = result.replace(pattern, replacement);
    if (americanWords.size >= CACHE_LIMIT) americanWords.clear();
    americanWords.set(word, result);
  }
  return result;
}

/** Running text repeats the same words: each is respelled once. */
const americanWords = new Map<string, string>();

/** "pancreatitis, acute, necrotizing" → "acute necrotizing pancreatitis"; other commas are left alone. */
function reorderInvertedName(text: string): string {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.length < 2 || parts[0] === "") return text;
  const tail = parts.slice(1);
  const allQualifying = tail.every((part) => {
    const words = part.split(/[^\p{L}\p{N}]+/u).filter((word) => word !== "");
    return words.length > 0 && words.every((word) => QUALIFYING_WORDS.has(word) || /^\d+$/.test(word));
  });
  return allQualifying ? [...tail, parts[0]].join(" ") : text;
}

/** True for a short token such as "PE", "STEMI", "HFrEF", "T1DM", "vWD": no spaces, two or more capitals. */
export function isAbbreviation(text: string): boolean {
  return /^[A-Za-z0-9-]{2,10}$/.test(text) && (text.match(/[A-Z]/g)?.length ?? 0) >= 2;
}

/**
 * The names one written diagnosis stands for: itself and, when it ends in an abbreviation in
 * parentheses ("Pulmonary embolism (PE)"), the name without it and the abbreviation alone.
 */
export function nameVariants(name: string): string[] {
  const match = /^(.*?\S)\s*[([]\s*([^()[\]]+?)\s*[)\]]$/.exec(name.trim());
  if (match && isAbbreviation(match[2])) return [name.trim(), match[1], match[2]];
  return [name.trim()];
}
