import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { thrownBy } from "./close-to.test-support.ts";
import { SeededRandom } from "./random.ts";

// Reference: the published xoshiro128** and SplitMix64 algorithms and Lemire's bounded integers in C
// (gcc 12), run as `./xoshiro SEED`: seed the state from two SplitMix64 outputs (low word first), print six
// next() values, then ten bounded(110) values. The C source, in full:
//   static uint32_t s[4]; static uint64_t sm;
//   static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
//   static uint32_t next(void) { uint32_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 9;
//     s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11); return r; }
//   static uint64_t splitmix(void) { uint64_t z = (sm += 0x9e3779b97f4a7c15ULL);
//     z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL; z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL; return z ^ (z >> 31); }
//   static uint32_t bounded(uint32_t n) { uint64_t m = (uint64_t)next() * n; uint32_t l = (uint32_t)m;
//     if (l < n) { uint32_t t = -n % n; while (l < t) { m = (uint64_t)next() * n; l = (uint32_t)m; } } return m >> 32; }
//   main: sm = (uint64_t)seed; for (i = 0; i < 4; i += 2) { z = splitmix(); s[i] = (uint32_t)z; s[i + 1] = z >> 32; }

function draw(seed: number): { words: number[]; indices: number[] } {
  const random = new SeededRandom(seed);
  const words = Array.from({ length: 6 }, () => random.nextUint32());
  const indices = Array.from({ length: 10 }, () => random.nextInt(110));
  return { words, indices };
}

describe("SeededRandom", () => {
  it.each([
    [
      42,
      [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222],
      [75, 57, 91, 75, 80, 29, 88, 58, 18, 40],
    ],
    [
      0,
      [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774],
      [83, 70, 67, 64, 87, 23, 54, 86, 99, 100],
    ],
    [
      -7,
      [2770651774, 585381616, 711422325, 2297772603, 2628463860, 4186259087],
      [33, 30, 29, 46, 12, 72, 50, 52, 75, 8],
    ],
  ])("matches the C reference for seed %i", (seed, words, indices) => {
    expect(draw(seed)).toEqual({ words, indices });
  });

  it("draws every index of a small range about equally often", () => {
    const random = new SeededRandom(3);
    const counts = new Array<number>(7).fill(0);
    for (let draw = 0; draw < 70_000; draw++) counts[random.nextInt(7)] += 1;
    // Each count is Bin(70000, 1/7): mean 10000, sd ≈ 93; 6 sd is a generous bound.
    expect(counts.every((count) => Math.abs(count - 10_000) < 560)).toBe(true);
  });

  it.each([[1.5], [Number.NaN]])("rejects the seed %s", (seed) => {
    expect(thrownBy(() => new SeededRandom(seed))).toBeInstanceOf(InputError);
  });

  it("rejects a bound outside 1 … 2^21", () => {
    const random = new SeededRandom(1);
    expect(thrownBy(() => random.nextInt(0))).toBeInstanceOf(InputError);
    expect(thrownBy(() => random.nextInt(2 ** 21 + 1))).toBeInstanceOf(InputError);
  });
});
