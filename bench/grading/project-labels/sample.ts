import { SeededRandom } from "../../../src/stats/index.ts";
import type { BenchmarkCase } from "../benchmark-file.ts";
import { type ItemToLabel, itemKey } from "./label-files.ts";

/** The sample the project labelled: its size and seed. */
export const SAMPLE_SIZE = 1000;
export const SAMPLE_SEED = 20261204;

/** Quotas proportional to the datasets' sizes, summing to `total`, by largest remainders. */
export function proportionalQuotas(sizes: ReadonlyMap<string, number>, total: number): Map<string, number> {
  const all = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  const shares = [...sizes].map(([dataset, size]) => ({ dataset, exact: (size * total) / all }));
  const quotas = new Map(shares.map((share) => [share.dataset, Math.floor(share.exact)]));
  let left = total - [...quotas.values()].reduce((sum, quota) => sum + quota, 0);
  const byRemainder = [...shares].sort(
    (a, b) =>
      b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || a.dataset.localeCompare(b.dataset),
  );
  for (const share of byRemainder) {
    if (left === 0) break;
    quotas.set(share.dataset, (quotas.get(share.dataset) ?? 0) + 1);
    left -= 1;
  }
  return quotas;
}

/**
 * A deterministic sample of `size` lists, stratified by dataset: each dataset's cases are shuffled with one
 * SeededRandom(seed) (Fisher–Yates, datasets in alphabetical order) and taken in that order until the
 * dataset's quota is met; a list whose reference and answers repeat one already taken is skipped. The items
 * carry names only, never a verdict.
 */
export function selectSample(cases: readonly BenchmarkCase[], size: number, seed: number): ItemToLabel[] {
  const byDataset = new Map<string, BenchmarkCase[]>();
  for (const testCase of cases) {
    const list = byDataset.get(testCase.dataset) ?? [];
    list.push(testCase);
    byDataset.set(testCase.dataset, list);
  }
  const datasets = [...byDataset.keys()].sort();
  const quotas = proportionalQuotas(
    new Map(datasets.map((name) => [name, byDataset.get(name)?.length ?? 0])),
    size,
  );
  const random = new SeededRandom(seed);
  const seen = new Set<string>();
  const chosen: ItemToLabel[] = [];
  for (const dataset of datasets) {
    const pool = [...(byDataset.get(dataset) ?? [])];
    for (let index = pool.length - 1; index > 0; index -= 1) {
      const other = random.nextInt(index + 1);
      [pool[index], pool[other]] = [pool[other], pool[index]];
    }
    let taken = 0;
    for (const testCase of pool) {
      if (taken === quotas.get(dataset)) break;
      const answers = testCase.answers.map((answer) => answer.text);
      const content = JSON.stringify([testCase.reference, answers]);
      if (seen.has(content)) continue;
      seen.add(content);
      chosen.push({ id: itemKey(testCase), reference: testCase.reference, accept: testCase.accept, answers });
      taken += 1;
    }
  }
  return chosen;
}
