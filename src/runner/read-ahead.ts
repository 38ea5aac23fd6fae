/**
 * The items of `source`, each passed through `prepare`, prepared `batch` at a time and ahead of their
 * use: the first batch when the first item is asked for, the next as soon as half a batch is left. Whatever
 * `prepare` starts for a whole batch at once (one store read for all its keys) is then done before its
 * items are taken. At most one and a half batches are prepared and not yet taken, however long `source`.
 */
export function* readAhead<T, P>(source: Iterable<T>, batch: number, prepare: (item: T) => P): Generator<P> {
  const iterator = source[Symbol.iterator]();
  const size = Math.max(1, batch);
  let prepared: P[] = [];
  let next = 0;
  let exhausted = false;
  const fill = () => {
    const kept = prepared.slice(next);
    for (let count = 0; count < size; count++) {
      const item = iterator.next();
      if (item.done) {
        exhausted = true;
        break;
      }
      kept.push(prepare(item.value));
    }
    prepared = kept;
    next = 0;
  };
  while (true) {
    if (!exhausted && prepared.length - next <= size / 2) fill();
    if (next === prepared.length) return;
    const item = prepared[next];
    prepared[next++] = undefined as P;
    yield item;
  }
}
