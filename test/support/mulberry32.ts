/**
 * mulberry32: a small seeded generator of numbers in [0, 1) for test and benchmark data, so a generated
 * set is the same on every run and a failure can be replayed. The statistics use SeededRandom instead.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
