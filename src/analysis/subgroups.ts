import type { Case } from "../core/case.ts";

/** The stratum of cases that lack a subgroup field (or have it empty). */
export const MISSING_VALUE = "(missing)";

/** A case's value of a subgroup field as text, or null when it has none. */
export function subgroupValue(testCase: Case, field: string): string | null {
  const value = testCase[field];
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value.trim() === "" ? null : value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  return JSON.stringify(value);
}

export interface Stratum {
  value: string;
  caseIds: string[];
}

/** The strata of one field, in order of first appearance; cases without a value go to `(missing)`. */
export function strataOf(cases: readonly Case[], field: string): Stratum[] {
  const strata = new Map<string, string[]>();
  for (const testCase of cases) {
    const value = subgroupValue(testCase, field) ?? MISSING_VALUE;
    const members = strata.get(value);
    if (members) members.push(testCase.id);
    else strata.set(value, [testCase.id]);
  }
  return [...strata].map(([value, caseIds]) => ({ value, caseIds }));
}
