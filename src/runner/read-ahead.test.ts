import { describe, expect, it } from "vitest";
import { readAhead } from "./read-ahead.ts";

describe("readAhead", () => {
  it("prepares a batch at the first request and the next when half a batch is left", () => {
    const prepared: number[] = [];
    const items = readAhead([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4, (item) => {
      prepared.push(item);
      return item * 10;
    });
    const taken: Array<{ item: number; prepared: number[] }> = [];
    for (const item of items) taken.push({ item, prepared: [...prepared] });
    const first = [1, 2, 3, 4];
    const second = [1, 2, 3, 4, 5, 6, 7, 8];
    const all = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(taken).toEqual([
      { item: 10, prepared: first },
      { item: 20, prepared: first },
      { item: 30, prepared: second },
      { item: 40, prepared: second },
      { item: 50, prepared: second },
      { item: 60, prepared: second },
      { item: 70, prepared: all },
      { item: 80, prepared: all },
      { item: 90, prepared: all },
      { item: 100, prepared: all },
    ]);
  });

  it("prepares nothing before the first request and ends with an empty source", () => {
    const prepared: number[] = [];
    const items = readAhead([] as number[], 4, (item) => prepared.push(item));
    expect(prepared).toEqual([]);
    expect([...items]).toEqual([]);
  });

  it("reads a lazy source only a bounded window ahead", () => {
    let produced = 0;
    function* endless() {
      while (true) yield produced++;
    }
    const items = readAhead(endless(), 8, (item) => item);
    const firstTen = [];
    for (const item of items) {
      firstTen.push(item);
      if (firstTen.length === 10) break;
    }
    expect(firstTen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(produced).toBe(16);
  });
});
