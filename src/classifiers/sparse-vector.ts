/** A feature vector that stores only its non-zero entries, with `indices` in ascending order. */
export interface SparseVector {
  indices: Int32Array;
  values: Float64Array;
}

/** A dense vector as a sparse one (every index present), so the same head trains on both. */
export function denseToSparse(values: readonly number[] | Float64Array): SparseVector {
  const indices = new Int32Array(values.length);
  for (let index = 0; index < values.length; index++) indices[index] = index;
  return { indices, values: Float64Array.from(values) };
}
