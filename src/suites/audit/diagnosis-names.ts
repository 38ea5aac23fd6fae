import { defaultTerminology } from "../../terminology/load-terminology.ts";
import { nameVariants } from "../../terminology/normalize.ts";

// The audit's only view of the terminology: swap the source here.

/** True when the terminology knows `name` as a broader diagnosis than `other` ("sarcoidosis" for "Löfgren syndrome"). */
export function isBroaderThan(name: string, other: string): boolean {
  const terminology = defaultTerminology();
  const broader = terminology.find(name);
  const narrower = terminology.find(other);
  return narrower.some(
    (id) => !broader.includes(id) && broader.some((parent) => terminology.distance(id, parent) !== undefined),
  );
}

/**
 * Every name a diagnosis goes by: the written name, its variants ("Pulmonary embolism (PE)" → both
 * halves) and the names the terminology gives the concept of each (its name and exact synonyms).
 */
export function diagnosisNames(name: string): string[] {
  const terminology = defaultTerminology();
  const names = new Set<string>();
  for (const variant of nameVariants(name)) {
    names.add(variant);
    for (const id of terminology.find(variant)) {
      const concept = terminology.concept(id);
      if (concept === undefined) continue;
      names.add(concept.name);
      for (const synonym of concept.synonyms) names.add(synonym);
    }
  }
  return [...names];
}
