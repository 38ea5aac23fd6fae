import { clinicalDictionary } from "../../tasks/diagnosis/grade.ts";
import { nameVariants } from "../../tasks/diagnosis/normalize.ts";

// The audit's only view of the terminology: swap the dictionary for another source here.

/** True when the terminology knows `name` as a broader diagnosis than `other` ("sarcoidosis" for "Löfgren syndrome"). */
export function isBroaderThan(name: string, other: string): boolean {
  return clinicalDictionary.covers(other, name) && !clinicalDictionary.covers(name, other);
}

/**
 * Every name a diagnosis goes by: the written name, its variants ("Pulmonary embolism (PE)" → both
 * halves) and the synonyms the diagnosis grader knows for each.
 */
export function diagnosisNames(name: string): string[] {
  const names = new Set<string>();
  for (const variant of nameVariants(name)) {
    names.add(variant);
    for (const synonym of clinicalDictionary.synonyms(variant)) names.add(synonym);
  }
  return [...names];
}
