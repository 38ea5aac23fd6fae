import { describe, expect, it } from "vitest";
import { runPool } from "./promise-pool.ts";

function* numbers(count: number, pulled: number[]) {
  for (let index = 0; index < count; index++) {
    pulled.push(index);
    yield index;
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("runPool", () => {
  it("runs every item with at most `concurrency` at once", async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await runPool(numbers(25, []), 4, async (item) => {
      running++;
      most = Math.max(most, running);
      await turn();
      seen.push(item);
      running--;
    });
    expect(most).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, index) => index));
  });

  it("pulls items only as workers become free", async () => {
    const pulled: number[] = [];
    const releases: Array<() => void> = [];
    const done = runPool(
      numbers(100, pulled),
      3,
      () => new Promise<void>((resolve) => releases.push(resolve)),
    );
    await turn();
    expect(pulled).toEqual([0, 1, 2]);
    releases.shift()?.();
    await turn();
    expect(pulled).toEqual([0, 1, 2, 3]);
    while (pulled.length < 100 || releases.length > 0) {
      releases.shift()?.();
      await turn();
    }
    await done;
  });

  it("starts nothing new once asked to stop", async () => {
    const handled: number[] = [];
    let stop = false;
    await runPool(
      numbers(10, []),
      2,
      async (item) => {
        handled.push(item);
        if (item === 3) stop = true;
        await turn();
      },
      () => stop,
    );
    expect(handled).toEqual([0, 1, 2, 3]);
  });

  it("lets running items finish, then throws the first error", async () => {
    const finished: number[] = [];
    const failure = new Error("boom");
    const running = runPool(numbers(10, []), 3, async (item) => {
      if (item === 1) throw failure;
      await turn();
      await turn();
      finished.push(item);
    });
    await expect(running).rejects.toBe(failure);
    expect(finished).toEqual([0, 2]);
  });
});
