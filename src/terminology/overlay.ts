import { isNode, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { InputError, InputErrors } from "../core/errors.ts";
import { issueToError } from "../study/yaml-issues.ts";
import { normalizeDiagnosis } from "./normalize.ts";
import type { ResolvedOverlay, Terminology } from "./terminology.ts";
import type { TerminologyConcept } from "./terminology-format.ts";

const name = z.string().trim().min(1).max(300);

const termSchema = z
  .strictObject({
    /** An existing concept the names are added to: its id (`DOID:5844`) or one of its names. */
    concept: name.optional(),
    /** A concept the terminology lacks: its preferred name. */
    name: name.optional(),
    /** The new concept's id; made from the name when left out. */
    id: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]*:[A-Za-z0-9_.-]+$/, "write ids as PREFIX:code")
      .optional(),
    /** Names that mean exactly this concept: abbreviations, lay names, eponyms, local usage. */
    synonyms: z.array(name).default([]),
    /** Broader concepts this one is a kind of: ids or names. */
    parents: z.array(name).default([]),
  })
  .refine((term) => (term.concept === undefined) !== (term.name === undefined), {
    message: "give exactly one of `concept` (add names to an existing concept) or `name` (a new concept)",
  })
  .refine((term) => term.concept === undefined || term.id === undefined, {
    message: "`id` is only for a new concept (`name`)",
    path: ["id"],
  });

/** A terminology overlay file (YAML): names and concepts added to the terminology. */
export const overlaySchema = z.strictObject({
  terms: z.array(termSchema).default([]),
  /** Abbreviations with more than one common meaning: they never decide a match, only flag it for review. */
  ambiguous: z.array(z.strictObject({ abbreviation: name, meanings: z.array(name).min(2) })).default([]),
});

/** A parsed overlay with the line of every entry, for errors found when it is applied. */
export interface OverlayFile {
  file: string;
  overlay: z.infer<typeof overlaySchema>;
  lineOf: (path: ReadonlyArray<string | number>) => number | undefined;
}

/** Parses and validates an overlay; problems name the file, line and field (exit code 2 at the CLI). */
export function parseOverlay(text: string, file: string): OverlayFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (document.errors.length > 0) {
    throw new InputErrors(
      document.errors.map(
        (error) =>
          new InputError(
            error.message.split("\n")[0],
            { file, line: lineCounter.linePos(error.pos[0]).line },
            "invalid-yaml",
          ),
      ),
    );
  }
  const parsed = overlaySchema.safeParse(document.toJS({ maxAliasCount: 100 }) ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issueToError(issue, document, lineCounter, file, "invalid-terminology"),
    );
    throw problems.length === 1 ? problems[0] : new InputErrors(problems);
  }
  return {
    file,
    overlay: parsed.data,
    lineOf: (path) => {
      const node = document.getIn([...path], true);
      return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
    },
  };
}

/**
 * Resolves an overlay's names against a terminology: `concept`, `parents` and ambiguous meanings must each
 * name exactly one concept (of the terminology or of this overlay). New concepts get `prefix:` ids made
 * from their names unless they give one.
 */
export function resolveOverlay(
  { file, overlay, lineOf }: OverlayFile,
  base: Terminology,
  prefix: string,
  source = file,
): ResolvedOverlay {
  const fail = (message: string, path: Array<string | number>): never => {
    throw new InputError(message, { file, line: lineOf(path), field: path.join(".") }, "invalid-terminology");
  };
  const newIds = new Map<string, string>();
  const concepts: TerminologyConcept[] = [];
  overlay.terms.forEach((term, index) => {
    if (term.name === undefined) return;
    const id = term.id ?? `${prefix}:${normalizeDiagnosis(term.name).replace(/ /g, "-")}`;
    if (base.concept(id) !== undefined || concepts.some((concept) => concept.id === id)) {
      fail(`concept id ${id} is already used`, ["terms", index, term.id === undefined ? "name" : "id"]);
    }
    newIds.set(normalizeDiagnosis(term.name), id);
    concepts.push({ id, name: term.name, synonyms: term.synonyms, related: [], parents: [], xrefs: [] });
  });
  const resolve = (reference: string, path: Array<string | number>): string => {
    if (base.concept(reference) !== undefined) return reference;
    const own = newIds.get(normalizeDiagnosis(reference));
    if (own !== undefined) return own;
    const ids = base.lookup(reference);
    if (ids.length === 1) return ids[0];
    if (ids.length === 0) return fail(`no concept is called "${reference}"`, path);
    return fail(`"${reference}" names several concepts (${ids.join(", ")}); write the id`, path);
  };
  const additions: Array<{ id: string; synonyms: string[]; parents: string[] }> = [];
  overlay.terms.forEach((term, index) => {
    const parents = term.parents.map((parent, at) => resolve(parent, ["terms", index, "parents", at]));
    if (term.concept !== undefined) {
      additions.push({
        id: resolve(term.concept, ["terms", index, "concept"]),
        synonyms: term.synonyms,
        parents,
      });
    } else {
      const concept = concepts.find((item) => item.id === newIds.get(normalizeDiagnosis(term.name ?? "")));
      if (concept !== undefined) concept.parents = parents;
    }
  });
  const ambiguous = overlay.ambiguous.map((entry, index) => ({
    abbreviation: entry.abbreviation,
    meanings: entry.meanings.map((meaning, at) => resolve(meaning, ["ambiguous", index, "meanings", at])),
  }));
  return { source, concepts, additions, ambiguous };
}
