/**
 * The terminology file format: a header of `# key: value` lines naming the source, then one concept per
 * line, tab-separated: id, name, exact synonyms, related synonyms, parents, xrefs (lists joined by `|`).
 * Names never contain tabs, line breaks or `|` (they are cleaned when the file is built).
 */

/** One concept: its preferred name, names that mean exactly the same, and the concepts it is a kind of. */
export interface TerminologyConcept {
  id: string;
  name: string;
  /** Names with exactly the same meaning (EXACT synonyms). */
  synonyms: readonly string[];
  /** Names close to the concept but not the same (RELATED synonyms): only hints for a reviewer. */
  related: readonly string[];
  /** Ids of the broader concepts this one is a kind of (`is_a`). */
  parents: readonly string[];
  /** Cross-references: `ICD10CM:…`, `SNOMEDCT:…`, `UMLS:…`. */
  xrefs: readonly string[];
}

/** Where a terminology comes from: source repository, release, commit, licence. */
export type TerminologySource = Record<string, string>;

const COLUMNS = ["id", "name", "synonyms", "related", "parents", "xrefs"] as const;

function cleanCell(text: string): string {
  return text.replace(/[\t\r\n|]+/g, " ").trim();
}

export function formatTerminology(
  source: TerminologySource,
  concepts: readonly TerminologyConcept[],
): string {
  const header = Object.entries(source).map(([key, value]) => `# ${key}: ${cleanCell(value)}`);
  const lines = concepts.map((concept) =>
    [
      concept.id,
      cleanCell(concept.name),
      concept.synonyms.map(cleanCell).join("|"),
      concept.related.map(cleanCell).join("|"),
      concept.parents.join("|"),
      concept.xrefs.join("|"),
    ].join("\t"),
  );
  return `${[...header, COLUMNS.join("\t"), ...lines].join("\n")}\n`;
}

export function parseTerminology(text: string): {
  source: TerminologySource;
  concepts: TerminologyConcept[];
} {
  const source: TerminologySource = {};
  const concepts: TerminologyConcept[] = [];
  const list = (cell: string | undefined) => (cell === undefined || cell === "" ? [] : cell.split("|"));
  let start = 0;
  let sawHeader = false;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line === "") continue;
    if (line.startsWith("# ")) {
      const colon = line.indexOf(": ");
      if (colon > 2) source[line.slice(2, colon)] = line.slice(colon + 2);
      continue;
    }
    if (!sawHeader) {
      if (line !== COLUMNS.join("\t"))
        throw new Error(`terminology file: unexpected column header "${line}"`);
      sawHeader = true;
      continue;
    }
    const cells = line.split("\t");
    concepts.push({
      id: cells[0],
      name: cells[1],
      synonyms: list(cells[2]),
      related: list(cells[3]),
      parents: list(cells[4]),
      xrefs: list(cells[5]),
    });
  }
  return { source, concepts };
}
