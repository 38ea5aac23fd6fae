/**
 * JSON with the keys of every object sorted, so that equal values always give the same text
 * (and the same hash) whatever order their keys were written in. Array order is kept; `undefined`
 * object members are dropped and `undefined` array items become `null`, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) => (isPlainObject(item) ? sortedCopy(item) : item)) ?? "null"
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function sortedCopy(object: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(object).sort()) copy[key] = object[key];
  return copy;
}
