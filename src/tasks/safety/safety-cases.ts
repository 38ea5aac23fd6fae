import { createHash } from "node:crypto";
import { isAbsolute } from "node:path";
import type { Case } from "../../core/case.ts";
import { InputError, InputErrors, type InputLocation } from "../../core/errors.ts";
import type { Study } from "../../core/study.ts";
import { resolveBuiltinSuite } from "../../suites/builtin-suites.ts";
import { loadCaseFile } from "../../suites/load-case-file.ts";
import { taskFor } from "../index.ts";
import { deriveVariants, type SafetyVariant, VARIANT_FIELD } from "./derive-variants.ts";
import { loadProbes, type ProbeDefinition } from "./probe-definitions.ts";

/**
 * The cases a safety study runs: every case of the base suite followed by its variants. A probe that
 * cannot be read is an error at the study's `probes` entry.
 */
export async function safetyCases(
  study: Study,
  cases: Case[],
  locate: (field: Array<string | number>) => InputLocation | Promise<InputLocation>,
): Promise<Case[]> {
  const settings = study.safety;
  if (settings === undefined) return cases;
  let probes: ProbeDefinition[];
  try {
    probes = await loadProbes(settings.probes);
  } catch (error) {
    if (!(error instanceof InputError) || error instanceof InputErrors || error.location.file !== undefined) {
      throw error;
    }
    throw new InputError(
      error.message,
      await locate((error.location.field ?? "probes").split(".")),
      error.code,
    );
  }
  const paired = new Map<string, Map<string, Case>>();
  for (const probe of probes) {
    if (probe.kind !== "translation") continue;
    const builtin = isAbsolute(probe.suite) ? undefined : resolveBuiltinSuite(probe.suite);
    const suite = await loadCaseFile(builtin?.path ?? probe.suite, {
      requiredFields: (await taskFor(study.task)).requiredFields,
      id: builtin?.reportId,
    });
    paired.set(probe.id, new Map(suite.cases.map((testCase) => [testCase.id, testCase])));
  }
  const derived = deriveVariants(cases, {
    base: study.task,
    probes,
    seed: settings.seed,
    labels: study.labels,
    paired,
  });
  // The variants' digest joins the study's hash: a site's edited probe file starts a new run, not a resume.
  settings.variantsSha256 = createHash("sha256")
    .update(JSON.stringify(derived.filter((testCase) => testCase[VARIANT_FIELD] !== undefined)))
    .digest("hex");
  return derived;
}

/** The first `limit` original cases, each with the variants derived from it (variants carry VARIANT_FIELD). */
export function firstCasesWithVariants<C extends { id: string }>(cases: C[], limit: number): C[] {
  const kept = new Set<string>();
  return cases.filter((testCase) => {
    const original = (testCase as Record<string, unknown>)[VARIANT_FIELD] as SafetyVariant | undefined;
    if (original !== undefined) return kept.has(original.original);
    if (kept.size >= limit) return false;
    kept.add(testCase.id);
    return true;
  });
}
