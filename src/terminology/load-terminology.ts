import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { InputError } from "../core/errors.ts";
import { parseOverlay, resolveOverlay } from "./overlay.ts";
import { Terminology } from "./terminology.ts";
import { parseTerminology } from "./terminology-format.ts";

const DATA = resolve(import.meta.dirname, "data");

/** The shipped Disease Ontology release and the project's clinical overlay (see docs/decisions/0011). */
export const DISEASE_ONTOLOGY_FILE = resolve(DATA, "disease-ontology.tsv.gz");
export const CLINICAL_OVERLAY_FILE = resolve(DATA, "clinical-overlay.yaml");

let projectTerminology: Terminology | undefined;
const withSiteOverlays = new Map<string, Terminology>();

/**
 * The terminology grading uses: the Disease Ontology with the project's overlay, loaded on first use
 * (a few hundred milliseconds) and kept for the process.
 */
export function defaultTerminology(): Terminology {
  if (projectTerminology === undefined) {
    const { source, concepts } = parseTerminology(
      gunzipSync(readFileSync(DISEASE_ONTOLOGY_FILE)).toString("utf8"),
    );
    const overlay = parseOverlay(readFileSync(CLINICAL_OVERLAY_FILE, "utf8"), CLINICAL_OVERLAY_FILE);
    projectTerminology = new Terminology(source, concepts, [
      (base) => resolveOverlay(overlay, base, "clinval", "clinval clinical overlay"),
    ]);
  }
  return projectTerminology;
}

/**
 * The default terminology with a study's site overlays (`terminology: [./site-terms.yaml]`), applied in
 * order. Bad overlays raise an InputError naming file, line and field. Kept per list of files.
 */
export function terminologyWithOverlays(files: readonly string[]): Terminology {
  if (files.length === 0) return defaultTerminology();
  const key = files.join("\n");
  let found = withSiteOverlays.get(key);
  if (found === undefined) {
    const project = defaultTerminology();
    const site = files.map((file) => {
      const overlay = parseOverlay(readOverlayText(file), file);
      return (sofar: Terminology) => resolveOverlay(overlay, sofar, "site");
    });
    found = new Terminology(project.sources[0], project.baseConcepts, [...project.overlays, ...site]);
    withSiteOverlays.set(key, found);
  }
  return found;
}

function readOverlayText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (error as Error).message;
    throw new InputError(`terminology overlay ${reason}`, { file }, "file-unreadable");
  }
}
