import { existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { InputError, InputErrors, type InputLocation } from "../core/errors.ts";
import { DEFAULT_TRIAGE_LABELS, type Study } from "../core/study.ts";
import { studySchema } from "../core/study-schema.ts";
import { builtinSuitePath } from "../suites/builtin-suites.ts";
import { readTextFile } from "../suites/read-text-file.ts";
import { BUILTIN_PROBES } from "../tasks/safety/probe-definitions.ts";
import { terminologyWithOverlays } from "../terminology/load-terminology.ts";
import { issueToError, lineAt } from "./yaml-issues.ts";

/**
 * Reads and validates a study file (YAML). Every problem names the file, the line and the field path;
 * relative paths in the study are resolved against the study file's folder.
 */
export async function loadStudy(path: string): Promise<Study> {
  const file = await readTextFile(path, "study file");
  if (file.text.length > MAX_STUDY_BYTES) {
    throw new InputError(
      `is ${file.text.length} characters long; a study file is at most ${MAX_STUDY_BYTES}`,
      { file: path },
      "invalid-study",
    );
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(file.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new InputErrors(
      document.errors.map(
        (error) =>
          new InputError(
            error.code === "MULTIPLE_DOCS"
              ? "holds more than one YAML document (a `---` line); a study file is one document"
              : error.message.split("\n")[0],
            { file: path, line: lineCounter.linePos(error.pos[0]).line },
            "invalid-yaml",
          ),
      ),
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    throw new InputError(
      `too many YAML aliases (more than ${MAX_ALIAS_COUNT} expansions); write the study out without them`,
      { file: path },
      "invalid-yaml",
    );
  }
  const parsed = studySchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issueToError(issue, document, lineCounter, path, "invalid-study", studySchema),
    );
    problems.sort((first, second) => (first.location.line ?? 0) - (second.location.line ?? 0));
    throw problems.length === 1 ? problems[0] : new InputErrors(problems);
  }
  checkBuiltinSuite(parsed.data.suite.id, document, lineCounter, path);
  const study = resolveStudy(parsed.data, path);
  checkTerminology(study, document, lineCounter, path);
  return study;
}

/**
 * Site terminology overlays are read and applied now, so a bad overlay stops the study before any model
 * is called: a missing file at the study's line, a bad entry at the overlay's own line.
 */
function checkTerminology(
  study: Study,
  document: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  file: string,
): void {
  if (study.terminology === undefined) return;
  const lineOf = (path: Array<string | number>) => {
    const node = document.getIn(path, true);
    return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
  };
  if (study.task !== "diagnosis") {
    throw new InputError(
      "terminology overlays are only used by diagnosis studies",
      { file, line: lineOf(["terminology"]), field: "terminology" },
      "invalid-study",
    );
  }
  study.terminology.forEach((overlay, index) => {
    if (!existsSync(overlay)) {
      throw new InputError(
        `terminology overlay not found: ${overlay}`,
        { file, line: lineOf(["terminology", index]), field: `terminology.${index}` },
        "invalid-study",
      );
    }
  });
  terminologyWithOverlays(study.terminology);
}

/** Where a field of a study file is written, for problems found after the study was read. */
export async function studyLocation(file: string, field: Array<string | number>): Promise<InputLocation> {
  const lineCounter = new LineCounter();
  const document = parseDocument((await readTextFile(file, "study file")).text, { lineCounter });
  return { file, line: lineAt(document, lineCounter, field), field: field.join(".") };
}

/** A study file is a page of settings: anything larger is not one. */
const MAX_STUDY_BYTES = 1024 * 1024;
/** Alias expansions allowed when reading a study (YAML's "billion laughs" stays out). */
const MAX_ALIAS_COUNT = 100;

/** The line of the deepest node of the path that exists in the document. */
/** An unknown built-in suite id is an error of the study file, at the line of `suite.id`. */
function checkBuiltinSuite(
  id: string | undefined,
  document: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  file: string,
): void {
  if (id === undefined) return;
  try {
    builtinSuitePath(id);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const node = document.getIn(["suite", "id"], true);
    const line = isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
    throw new InputError(error.message, { file, line, field: "suite.id" }, "invalid-study");
  }
}

/** Resolves relative paths against the study file's folder and fills in the triage labels. */
function resolveStudy(study: z.infer<typeof studySchema>, file: string): Study {
  const base = dirname(resolve(file));
  const local = (path: string) => (isAbsolute(path) ? path : resolve(base, path));
  const probeReference = (reference: string) =>
    (BUILTIN_PROBES as readonly string[]).includes(reference) ? reference : local(reference);
  return {
    ...study,
    file: resolve(file),
    suite: { ...study.suite, path: study.suite.path === undefined ? undefined : local(study.suite.path) },
    prompt: study.prompt === undefined ? undefined : local(study.prompt),
    terminology: study.terminology?.map(local),
    output: local(study.output),
    labels: study.task === "triage" ? (study.labels ?? DEFAULT_TRIAGE_LABELS) : study.labels,
    ...(study.safety ? { safety: { ...study.safety, probes: study.safety.probes.map(probeReference) } } : {}),
    models: study.models.map((model) => ({
      ...model,
      model:
        (model.provider === "llama-cpp" || model.provider === "classifier") && !model.model.startsWith("hf:")
          ? local(model.model)
          : model.model,
      lora: model.lora?.map(local),
    })),
    ...(study.adaptations
      ? {
          adaptations: study.adaptations.map((adaptation) => {
            const base = study.models.find((model) => model.id === adaptation.base);
            return {
              ...adaptation,
              adapter: base?.provider === "llama-cpp" ? local(adaptation.adapter) : adaptation.adapter,
              ...(adaptation.trainingData === undefined
                ? {}
                : { trainingData: local(adaptation.trainingData) }),
            };
          }),
        }
      : {}),
    judge:
      study.judge?.provider === "llama-cpp" && !study.judge.model.startsWith("hf:")
        ? { ...study.judge, model: local(study.judge.model) }
        : study.judge,
  };
}
