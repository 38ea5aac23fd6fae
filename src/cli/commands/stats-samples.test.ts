import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/run-cli.ts";
import { closeTo } from "../../stats/close-to.test-support.ts";
import { calibration, clusterProportion, flipRate, interactionTest } from "../../stats/index.ts";

// The numbers themselves are checked against R in src/stats/; here the commands must print the same.
const folder = mkdtempSync(join(tmpdir(), "clinval-stats-samples-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function csvFile(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

async function runJson(...args: string[]): Promise<unknown> {
  const result = await runCli([...args, "--json"]);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return JSON.parse(result.stdout);
}

const CORRECT = [3, 2, 0, 1, 3, 3, 2, 0, 3, 1];

describe("clinval stats cluster-ci", () => {
  const file = csvFile("per-case.csv", `correct,answered\n${CORRECT.map((x) => `${x},3`).join("\n")}\n`);
  const counts = CORRECT.map((correct) => ({ correct, answered: 3 }));

  it("prints the per-case mean, its cluster bootstrap interval and the flip rate", async () => {
    expect(await runJson("stats", "cluster-ci", "--file", file, "--level", "0.99", "--seed", "4")).toEqual({
      ...clusterProportion(counts, { level: 0.99, seed: 4 }),
      flips: flipRate(counts),
    });
    const text = await runCli(["stats", "cluster-ci", "--file", file]);
    expect(text.stdout.split("\n").slice(0, 2)).toEqual([
      "per-case mean        0.6",
      expect.stringMatching(/^95% interval {9}0\.\d+ to 0\.\d+$/),
    ]);
  });

  it("names the file, line and column of a bad count", async () => {
    const bad = csvFile("bad.csv", "correct,answered\n1,3\n4,3\n");
    const result = await runCli(["stats", "cluster-ci", "--file", bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`clinval: ${bad}:3: correct (4) exceeds answered (3)\n`);
    const text = csvFile("text.csv", "correct,answered\n1,three\n");
    expect((await runCli(["stats", "cluster-ci", "--file", text])).stderr).toBe(
      `clinval: ${text}:2: answered: must be a non-negative integer, got "three"\n`,
    );
  });
});

describe("clinval stats interaction", () => {
  it("prints each stratum's difference, the contrasts and the test", async () => {
    const file = csvFile("strata.csv", "stratum,a,b,c,d\nfrequent,20,7,1,12\nrare,15,2,6,17\n");
    const tables = [
      { a: 20, b: 7, c: 1, d: 12 },
      { a: 15, b: 2, c: 6, d: 17 },
    ];
    const expected = interactionTest(tables, { level: 0.99 });
    expect(await runJson("stats", "interaction", "--file", file, "--level", "0.99")).toEqual({
      strata: [
        { stratum: "frequent", ...tables[0], difference: expected.differences[0] },
        { stratum: "rare", ...tables[1], difference: expected.differences[1] },
      ],
      contrasts: [
        { ...expected.contrasts[0], stratum: "rare", reference: "frequent", estimate: closeTo(-0.25) },
      ],
      test: { method: "fisher-exact", statistic: null, df: 1, p: closeTo(0.040559440559440579) },
    });
  });
});

describe("clinval stats brier", () => {
  it("prints the Brier score and the reliability bins", async () => {
    const file = csvFile("p.csv", "p,y\n0.9,1\n0.8,1\n0.3,0\n0.6,0\n0.1,0\n");
    const expected = calibration([0.9, 0.8, 0.3, 0.6, 0.1], [1, 1, 0, 0, 0], { bins: 4 });
    expect(await runJson("stats", "brier", "--file", file, "--bins", "4")).toEqual(expected);
    expect(expected.brier).toEqual(closeTo((0.01 + 0.04 + 0.09 + 0.36 + 0.01) / 5));
  });

  it("names the line of a probability outside [0, 1]", async () => {
    const file = csvFile("p-bad.csv", "p,y\n0.5,1\n1.5,0\n");
    const result = await runCli(["stats", "brier", "--file", file]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 2,
      stderr: `clinval: ${file}:3: must be a number between 0 and 1, got 1.5\n`,
    });
  });
});
