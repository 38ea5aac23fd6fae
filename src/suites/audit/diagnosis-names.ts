import { clinicalDictionary } from "../../tasks/diagnosis/grade.ts";
import { nameVariants } from "../../tasks/diagnosis/normalize.ts";

/**
 * Every name a diagnosis goes by: the written name, its variants ("Pulmonary embolism (PE)" → both
 * halves) and the synonyms the diagnosis grader knows for each. The audit's only view of the
 * terminology: swap the dictionary for another source here.
 */
export function diagnosisNames(name: string): string[] {
  const names = new Set<string>();
  for (const variant of nameVariants(name)) {
    names.add(variant);
    for (const synonym of clinicalDictionary.synonyms(variant)) names.add(synonym);
  }
  return [...names];
}
