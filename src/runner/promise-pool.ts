/**
 * Runs `worker` on the items of `items` with at most `concurrency` running at once, pulling items
 * lazily so that memory does not grow with their number. No new item starts once `shouldStop()`
 * is true. If a worker throws, no new item starts, the running ones finish, and the first error is thrown.
 */
export async function runPool<T>(
  items: Iterable<T>,
  concurrency: number,
  worker: (item: T) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed = false;
  let firstError: unknown;

  const lane = async () => {
    while (!failed && !shouldStop()) {
      const next = iterator.next();
      if (next.done) return;
      try {
        await worker(next.value);
      } catch (error) {
        if (!failed) {
          failed = true;
          firstError = error;
        }
      }
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  if (failed) throw firstError;
}
