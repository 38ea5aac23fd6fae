import type { z } from "zod";

/** The keys a strict object of `schema` accepts at `path` (array indices step into the element). */
export function keysAt(schema: z.ZodType, path: ReadonlyArray<string | number>): string[] {
  let node: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    const def = node?._zod.def as { type: string; element?: z.ZodType; shape?: Record<string, z.ZodType> };
    const next = typeof segment === "number" ? def?.element : def?.shape?.[segment];
    node = next === undefined ? undefined : unwrap(next);
  }
  const shape = (node?._zod.def as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape === undefined ? [] : Object.keys(shape);
}

/** The object, array or scalar schema inside optional, default and transform (pipe) wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let node = schema;
  for (;;) {
    const def = node._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    const inner = def.type === "pipe" ? def.in : def.innerType;
    if (inner === undefined) return node;
    node = inner;
  }
}

/** The candidate closest to `name` by edit distance, when it is close enough to be a slip of the keyboard. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Levenshtein distance, with a transposition of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}
