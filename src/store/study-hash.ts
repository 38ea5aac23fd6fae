import { createHash } from "node:crypto";
import type { Study } from "../core/study.ts";
import { canonicalJson } from "../runner/canonical-json.ts";

/**
 * Identifies a study's content for resuming: sha256 of the study (without the study file's own path),
 * the case file's sha256 and the prompt template text. Any change starts a new run; the response
 * cache still answers whatever was asked before.
 */
export function hashStudy(study: Study, suiteSha256: string, template?: string): string {
  const { file: _file, ...content } = study;
  return sha256(canonicalJson({ study: content, suiteSha256, template: template ?? null }));
}

/** sha256 (hex) of the stored cases text. */
export function hashCases(casesJson: string): string {
  return sha256(casesJson);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
