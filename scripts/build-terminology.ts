/**
 * Builds src/terminology/data/disease-ontology.tsv.gz from a release of the Human Disease Ontology.
 *
 *   npx tsx scripts/build-terminology.ts --release v2026-07-31 --commit <sha> <release-folder>
 *
 * <release-folder> holds files of that release, as found at its tag in DiseaseOntology/HumanDiseaseOntology:
 * - any number of OBO files (doid.obo when available, otherwise the subset OBO files under
 *   src/ontology/releases/subsets/): names, EXACT and RELATED synonyms, `is_a` parents, xrefs;
 * - DOreports/HumanDO.tsv (optional): every non-obsolete concept with its label and asserted parents;
 * - DOreports/allXREFinDO.tsv (optional): every concept's cross-references;
 * - src/translations/doid-es-translated.tsv and doid-es-untranslated.tsv (optional): the English labels
 *   and synonyms of the concepts they cover, by predicate.
 * What one file lacks another adds; the union is written, less the corrections listed in
 * scripts/terminology-corrections.tsv. See docs/decisions/0011-disease-terminology.md.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { formatTerminology, type TerminologyConcept } from "../src/terminology/terminology-format.ts";

const KEPT_XREFS: ReadonlyArray<[RegExp, string]> = [
  [/^ICD10CM:/, "ICD10CM:"],
  [/^SNOMEDCT_US_[0-9_]+:/, "SNOMEDCT:"],
  [/^UMLS_CUI:/, "UMLS:"],
];

interface Draft {
  id: string;
  name?: string;
  exact: Set<string>;
  related: Set<string>;
  parents: Set<string>;
  xrefs: Set<string>;
  obsolete: boolean;
}

const READ_TABLES = ["HumanDO.tsv", "allXREFinDO.tsv", "doid-es-translated.tsv", "doid-es-untranslated.tsv"];

const concepts = new Map<string, Draft>();

function draft(id: string): Draft {
  let found = concepts.get(id);
  if (found === undefined) {
    found = {
      id,
      exact: new Set(),
      related: new Set(),
      parents: new Set(),
      xrefs: new Set(),
      obsolete: false,
    };
    concepts.set(id, found);
  }
  return found;
}

function keptXref(xref: string): string | undefined {
  for (const [pattern, prefix] of KEPT_XREFS) {
    if (pattern.test(xref)) return prefix + xref.replace(pattern, "");
  }
  return undefined;
}

function cleanName(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function readObo(text: string): void {
  let current: Draft | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("[")) {
      current = undefined;
      continue;
    }
    const colon = line.indexOf(": ");
    if (colon < 0) continue;
    const tag = line.slice(0, colon);
    const value = line.slice(colon + 2);
    if (tag === "id") {
      current = value.startsWith("DOID:") ? draft(value.trim()) : undefined;
      continue;
    }
    if (current === undefined) continue;
    if (tag === "name") current.name = cleanName(value);
    else if (tag === "is_obsolete" && value.trim() === "true") current.obsolete = true;
    else if (tag === "is_a") {
      const parent = value.split(/\s/)[0];
      if (parent.startsWith("DOID:")) current.parents.add(parent);
    } else if (tag === "xref") {
      const kept = keptXref(value.split(/\s/)[0]);
      if (kept !== undefined) current.xrefs.add(kept);
    } else if (tag === "synonym") {
      const match = /^"((?:[^"\\]|\\.)*)"\s+(EXACT|RELATED|NARROW|BROAD)\b/.exec(value);
      if (match === null) continue;
      const synonym = cleanName(match[1].replace(/\\(.)/g, "$1"));
      if (match[2] === "EXACT") current.exact.add(synonym);
      else if (match[2] === "RELATED") current.related.add(synonym);
    }
  }
}

/** Rows of a SPARQL TSV report: columns by header, quoted values unquoted. */
function reportRows(text: string): Array<Record<string, string>> {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const header = lines[0].split("\t").map((column) => column.replace(/^\?/, ""));
  return lines.slice(1).map((line) => {
    const cells = line.split("\t");
    return Object.fromEntries(header.map((column, index) => [column, unquote(cells[index] ?? "")]));
  });
}

function unquote(cell: string): string {
  const trimmed = cell.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1).replace(/""/g, '"')
    : trimmed;
}

function readHierarchy(text: string): Set<string> {
  const rows = reportRows(text);
  const idOfLabel = new Map<string, string>();
  for (const row of rows) idOfLabel.set(row.label, row.id);
  for (const item of concepts.values()) if (item.name !== undefined) idOfLabel.set(item.name, item.id);
  const listed = new Set<string>();
  for (const row of rows) {
    const concept = draft(row.id);
    listed.add(row.id);
    concept.name = cleanName(row.label);
    const parent = idOfLabel.get(row.subClassOf);
    if (parent === undefined) throw new Error(`HumanDO.tsv: ${row.id}: unknown parent "${row.subClassOf}"`);
    concept.parents.add(parent);
  }
  return listed;
}

function readXrefs(text: string): void {
  for (const row of reportRows(text)) {
    const kept = keptXref(row.xref);
    if (kept !== undefined) draft(row.id).xrefs.add(kept);
  }
}

function readTranslationTable(text: string): void {
  const lines = text.split("\n");
  for (const line of lines.slice(1)) {
    const [id, predicate, english] = line.split("\t");
    if (!id?.startsWith("DOID:") || english === undefined || english.trim() === "") continue;
    if (predicate === "oboInOwl:hasExactSynonym") draft(id).exact.add(cleanName(english));
    else if (predicate === "oboInOwl:hasRelatedSynonym") draft(id).related.add(cleanName(english));
  }
}

const CORRECTIONS_FILE = path.join(import.meta.dirname, "terminology-corrections.tsv");

/** Takes out each synonym, parent or xref the corrections file names; a row the release no longer has is an error. */
function applyCorrections(text: string): number {
  const rows = text.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
  for (const [index, line] of rows.slice(1).entries()) {
    const [id, what, value] = line.split("\t");
    const found = concepts.get(id);
    const set = { synonym: found?.exact, parent: found?.parents, xref: found?.xrefs }[what];
    if (set === undefined || !set.delete(value)) {
      throw new Error(
        `${CORRECTIONS_FILE}: row ${index + 1}: ${id} has no ${what} "${value}" in this release`,
      );
    }
  }
  return rows.length - 1;
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: {
      release: { type: "string" },
      commit: { type: "string" },
      output: { type: "string", default: "src/terminology/data/disease-ontology.tsv.gz" },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1 || values.release === undefined || values.commit === undefined) {
    throw new Error("usage: build-terminology --release TAG --commit SHA [--output FILE] RELEASE-FOLDER");
  }
  const folder = positionals[0];
  const files = readdirSync(folder).sort();
  const read = (name: string) => readFileSync(path.join(folder, name), "utf8");
  const oboFiles = files.filter((name) => name.endsWith(".obo"));
  for (const name of oboFiles) readObo(read(name));
  let universe: Set<string> | undefined;
  if (files.includes("HumanDO.tsv")) universe = readHierarchy(read("HumanDO.tsv"));
  if (files.includes("allXREFinDO.tsv")) readXrefs(read("allXREFinDO.tsv"));
  for (const name of ["doid-es-translated.tsv", "doid-es-untranslated.tsv"]) {
    if (files.includes(name)) readTranslationTable(read(name));
  }
  const corrections = applyCorrections(readFileSync(CORRECTIONS_FILE, "utf8"));
  const kept = [...concepts.values()].filter(
    (item) =>
      item.name !== undefined &&
      !item.obsolete &&
      (universe === undefined || universe.has(item.id) || item.parents.size === 0),
  );
  const keptIds = new Set(kept.map((item) => item.id));
  const rows: TerminologyConcept[] = kept
    .map((item) => {
      const name = item.name as string;
      const exact = [...item.exact].filter((synonym) => synonym !== "" && synonym !== name).sort();
      return {
        id: item.id,
        name,
        synonyms: exact,
        related: [...item.related].filter((synonym) => synonym !== "" && !item.exact.has(synonym)).sort(),
        parents: [...item.parents].filter((parent) => keptIds.has(parent)).sort(),
        xrefs: [...item.xrefs].sort(),
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  const text = formatTerminology(
    {
      source: "DiseaseOntology/HumanDiseaseOntology",
      release: values.release,
      commit: values.commit,
      licence: "CC0-1.0",
      files: [...oboFiles, ...READ_TABLES.filter((name) => files.includes(name))].join(" "),
      corrections: `scripts/terminology-corrections.tsv (${corrections})`,
    },
    rows,
  );
  writeFileSync(values.output as string, gzipSync(text, { level: 9 }));
  const synonyms = rows.reduce((total, row) => total + row.synonyms.length, 0);
  const related = rows.reduce((total, row) => total + row.related.length, 0);
  console.log(
    `${rows.length} concepts, ${synonyms} exact synonyms, ${related} related synonyms → ${values.output}`,
  );
}

main();
