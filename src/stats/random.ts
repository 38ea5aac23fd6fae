import { InputError } from "../core/errors.ts";

const TWO_TO_32 = 4_294_967_296;
/** Largest bound for which `nextInt` stays exact in double arithmetic (bound · 2³² < 2⁵³). */
export const MAX_RANDOM_BOUND = 2_097_152;

/**
 * A small, seedable pseudo-random generator: xoshiro128** (Blackman & Vigna 2018) with its 128-bit state
 * filled from SplitMix64 of the seed. Same seed, same sequence, on every platform; independent of
 * the global generator. Not for cryptography.
 */
export class SeededRandom {
  private readonly state = new Uint32Array(4);

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed))
      throw new InputError(`must be an integer, got ${String(seed)}`, { field: "seed" });
    let mix = BigInt.asUintN(64, BigInt(seed));
    for (let word = 0; word < 4; word += 2) {
      mix = BigInt.asUintN(64, mix + 0x9e3779b97f4a7c15n);
      let z = mix;
      z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
      z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
      z ^= z >> 31n;
      this.state[word] = Number(z & 0xffffffffn);
      this.state[word + 1] = Number(z >> 32n);
    }
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const state = this.state;
    const result = Math.imul(rotateLeft(Math.imul(state[1], 5), 7), 9) >>> 0;
    const shifted = state[1] << 9;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= shifted;
    state[3] = rotateLeft(state[3], 11);
    return result;
  }

  /** A uniform integer in [0, bound), without modulo bias (Lemire's multiply-and-reject). */
  nextInt(bound: number): number {
    if (!Number.isSafeInteger(bound) || bound < 1 || bound > MAX_RANDOM_BOUND) {
      throw new InputError(`must be an integer from 1 to ${MAX_RANDOM_BOUND}, got ${String(bound)}`, {
        field: "bound",
      });
    }
    let product = this.nextUint32() * bound;
    let low = product % TWO_TO_32;
    if (low < bound) {
      const threshold = (TWO_TO_32 - bound) % bound;
      while (low < threshold) {
        product = this.nextUint32() * bound;
        low = product % TWO_TO_32;
      }
    }
    return Math.floor(product / TWO_TO_32);
  }
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
