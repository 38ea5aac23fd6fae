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
  ε: "epsilon",
  ζ: "zeta",
  η: "eta",
  θ: "theta",
  ι: "iota",
  κ: "kappa",
  λ: "lambda",
  μ: "mu",
  ν: "nu",
  ξ: "xi",
  π: "pi",
  ρ: "rho",
  σ: "sigma",
  τ: "tau",
  φ: "phi",
  χ: "chi",
  ψ: "psi",
  ω: "omega",
};

const ASCII = /^[\x20-\x7e]*$/;

const APOSTROPHES = /['’‘`´]/;

const GREEK_PATTERN = new RegExp(`[${Object.keys(GREEK_LETTERS).join("")}]`, "g");

/** Number words written as digits: "type two diabetes", "glucose-six-phosphate". */
const NUMBER_WORDS: Record<string, string> = {
  one: "1",
  two: "2",
  three: "3",
  four: "4",
  five: "5",
  six: "6",
  seven: "7",
  eight: "8",
  nine: "9",
  ten: "10",
  eleven: "11",
  twelve: "12",
};

/** Trailing words that say nothing about the diagnosis ("Pneumonia, unspecified", "Anemia NOS"). */
const TRAILING_FILLER = new Set(["unspecified", "nos"]);

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

/** A word none of SPELLING_RULES can change fails this test (checked once, instead of every rule). */
const MAY_BE_BRITISH =
  /ae|oe|our|ys(?:e|ed|es|ing)$|is(?:ation|ations|ed)$|res?$|sulph|leuc|grey|aluminium|kuester/;

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

/**
 * Words used one for the other in disease names: "bipolar affective disorder" and "… disease",
 * "pyroglutamic aciduria" and "… acidemia" (organic acids are measured in blood and urine alike). No two
 * concepts of the Disease Ontology differ only by these words. "Syndrome" is not among them: Cushing
 * disease is one cause of Cushing syndrome.
 */
export const SAME_WORDS: ReadonlyMap<string, string> = new Map([
  ["disorder", "disease"],
  ["disorders", "diseases"],
  ["aciduria", "acidemia"],
  ["acidurias", "acidemias"],
]);

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

/**
 * Every pass below is linear in the length of `name`: character classes without nested or overlapping
 * repetition, and word-level work on the split words (model answers can be megabytes long).
 */
function normalize(name: string): string {
  let text = name;
  if (ASCII.test(text)) text = text.toLowerCase();
  else {
    text = text.normalize("NFKC").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
    text = text.replace(GREEK_PATTERN, (letter) => ` ${GREEK_LETTERS[letter]} `);
  }
  if (APOSTROPHES.test(text)) {
    text = text
      .replace(/[’‘`´]/g, "'")
      .replace(/'s(?![\p{L}\p{N}])/gu, "")
      .replace(/'/g, "");
  }
  if (text.includes("&")) text = text.replace(/&/g, " and ");
  text = reorderInvertedName(text);
  const words = joinedWords(text);
  dropTrailingFiller(words);
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
    if (index > 0 && NUMBERED_WORDS.has(all[index - 1]) && Object.hasOwn(ROMAN_NUMERALS, word)) {
      return ROMAN_NUMERALS[word];
    }
    // Own keys only: "constructor" is a word too, not Object's constructor.
    if (Object.hasOwn(ORDINALS, word)) return ORDINALS[word];
    if (Object.hasOwn(NUMBER_WORDS, word)) return NUMBER_WORDS[word];
    return SAME_WORDS.get(word) ?? word;
  });
  while (result.length > 1 && LEADING_ARTICLES.has(result[0])) result.shift();
  return result.join(" ");
}

/**
 * The words of a name; a combining form ending in -o joins the next word across a hyphen
 * (gastro-oesophageal → gastrooesophageal, tubo-ovarian → tuboovarian).
 */
function joinedWords(text: string): string[] {
  const pieces = text.split(/([^\p{L}\p{N}]+)/u);
  const words: string[] = [];
  let joinNext = false;
  for (let index = 0; index < pieces.length; index += 2) {
    const word = pieces[index];
    if (word === "") continue;
    if (joinNext && /^\p{L}/u.test(word)) words[words.length - 1] += word;
    else words.push(word);
    const separator = pieces[index + 1];
    const last = words[words.length - 1];
    joinNext = separator === "-" && last.length >= 3 && last.endsWith("o");
  }
  return words;
}

function dropTrailingFiller(words: string[]): void {
  const length = words.length;
  if (length > 1 && TRAILING_FILLER.has(words[length - 1])) words.pop();
  else if (length > 3 && words.slice(length - 3).join(" ") === "not otherwise specified")
    words.splice(length - 3);
}

function americanSpelling(word: string): string {
  let result = americanWords.get(word);
  if (result === undefined) {
    result = word;
    if (MAY_BE_BRITISH.test(word)) {
      for (const [pattern, replacement] of SPELLING_RULES) result = result.replace(pattern, replacement);
    }
    if (americanWords.size >= CACHE_LIMIT) americanWords.clear();
    americanWords.set(word, result);
  }
  return result;
}

/** Names share most of their words: each word's spelling is worked out once. */
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
 * The names one written diagnosis stands for. A model often gives a second name in brackets:
 * "Pulmonary embolism (PE)", "Systemic sclerosis (scleroderma)", "Lupus (systemic lupus erythematosus,
 * SLE)", "Ornithine transcarbamylase (OTC) deficiency". Each name in the brackets and the name without
 * them stand beside the whole. Brackets that qualify ("(central)", "(type 2)") or say something other
 * than a name ("(other than OTC deficiency)", "(e.g. …)", "(due to …)") give only the name without them.
 */
export function nameVariants(name: string): string[] {
  const whole = name.trim();
  if (whole.length > MAX_VARIANT_SOURCE) return [whole];
  const match = /^(.*?)\s*[([]\s*([^()[\]]+?)\s*[)\]]\s*(.*)$/.exec(whole);
  if (!match || match[1] === "") return [whole];
  const [, before, inside, after] = match;
  const outside = after === "" ? before : `${before} ${after}`;
  if (after !== "") return isAbbreviation(inside) ? [whole, outside] : [whole];
  if (isAbbreviation(inside)) return [whole, outside, inside];
  if (qualifiesOnly(inside)) return [whole];
  if (NOT_A_NAME.test(inside)) return [whole, outside];
  const alternatives = inside
    .replace(ANOTHER_NAME, "")
    .split(/\s*[,;]\s*/)
    .filter((alternative) => alternative !== "");
  return [whole, outside, ...alternatives];
}

/** A name is a line at most: longer text is prose, and its brackets are not alternative names. */
const MAX_VARIANT_SOURCE = 300;

/** Brackets that name the disease again: "(i.e. Edwards syndrome)", "(also known as …)". */
export const ANOTHER_NAME = /^(?:i\.?e\.?,?|aka|a\.k\.a\.|also (?:known as|called)|otherwise known as)\s+/i;

/** Brackets that are not a name of the disease: an exclusion, an example, a cause, a hedge, another disease. */
const NOT_A_NAME =
  /^(?:or|other than|except|excluding|not|no|without|e\.?g\.?|such as|including|especially|like|possibl[ey]|probabl[ey]|suspected|likely|unlikely|less likely|rule out|r\/o|ruled out|secondary to|due to|caused by|with|from|in|if|when|vs\.?|versus|see|consider)\b/i;

function qualifiesOnly(text: string): boolean {
  const words = normalizeText(text)
    .split(" ")
    .filter((word) => word !== "");
  if (words.length === 1 && ADJECTIVE_ENDING.test(words[0])) return true;
  return (
    words.length > 0 &&
    words.every((word) => QUALIFYING_WORDS.has(word) || /^\d+$/.test(word) || word === "type")
  );
}

/** One word that describes rather than names: "(central)", "(nephrogenic)", "(tuberculous)". */
const ADJECTIVE_ENDING = /^[a-z]+(?:al|ic|ous|ive|ed|ar|ary|oid|ile)$/;

/** Words that do not change which disease a name means when they are left out. */
const FILLER_WORDS = new Set(["of", "the", "a", "an", "in", "on", "at", "for", "by", "and"]);

/**
 * The order-free form of a name: its normalised words without filler words, each in one form (singular,
 * a participle as its noun), sorted ("fracture of the neck of the femur" = "femur neck fractures";
 * "Menieres disease" = "Meniere's disease"; "ruptured aortic aneurysm" = "aortic aneurysm rupture";
 * "pulmonary emboli" = "pulmonary embolus"). Two names with the same key are the same name to grading;
 * a word that carries meaning (with, without, non, type 1) is never dropped.
 */
export function wordKey(name: string): string {
  let key = wordKeys.get(name);
  if (key === undefined) {
    if (wordKeys.size >= CACHE_LIMIT) wordKeys.clear();
    key = normalizeDiagnosis(name)
      .split(" ")
      .filter((word) => word !== "" && !FILLER_WORDS.has(word))
      .map(oneForm)
      .sort()
      .join(" ");
    wordKeys.set(name, key);
  }
  return key;
}

const wordKeys = new Map<string, string>();

function oneForm(word: string): string {
  return WORD_FORMS.get(word) ?? singular(word);
}

/**
 * Latin and Greek plurals, and participles that name the same event as a noun ("ruptured" / "rupture"):
 * both sides of a comparison go through the table, so a pair only has to be listed once.
 */
const WORD_FORMS: ReadonlyMap<string, string> = new Map([
  ["emboli", "embolus"],
  ["thrombi", "thrombus"],
  ["calculi", "calculus"],
  ["bronchi", "bronchus"],
  ["fungi", "fungus"],
  ["metastases", "metastasis"],
  ["stenoses", "stenosis"],
  ["diverticula", "diverticulum"],
  ["vertebrae", "vertebra"],
  ["bullae", "bulla"],
  ["ruptured", "rupture"],
  ["perforated", "perforation"],
  ["fractured", "fracture"],
  ["dissected", "dissection"],
  ["obstructed", "obstruction"],
  ["herniated", "herniation"],
  ["torsed", "torsion"],
  ["thrombosed", "thrombosis"],
  ["strangulated", "strangulation"],
  ["incarcerated", "incarceration"],
  ["displaced", "displacement"],
]);

/** A light, consistent singular: both sides of a comparison go through it, so it only has to agree. */
export function singular(word: string): string {
  if (word.length <= 3 || !word.endsWith("s")) return word;
  if (word.endsWith("ies") && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(?:ss|ch|sh|x)es$/.test(word)) return word.slice(0, -2);
  if (!/(?:ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}
