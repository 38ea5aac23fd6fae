/**
 * A safety study over a built-in suite with the in-process engine and the tiny random-weight model that
 * `clinval demo` uses: the answers are noise, so only the pipeline is checked (variants run, paired,
 * reported, and rebuilt from the store), never a number.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Report } from "../src/analysis/report-types.ts";
import { writeTinyGguf } from "../src/providers/llama-cpp/tiny-gguf.ts";
import { runCli } from "./support/run-cli.ts";

const folder = await mkdtemp(join(tmpdir(), "clinval-safety-tiny-"));
afterAll(() => rm(folder, { recursive: true, force: true }));

describe("a safety study with the tiny in-process model", () => {
  it("runs two ct-triage cases with all their variants, and the report rebuilt from the store keeps the safety section", async () => {
    const modelPath = join(folder, "tiny.gguf");
    await writeTinyGguf(modelPath, { seed: 1 });
    await writeFile(
      join(folder, "study.yaml"),
      `name: tiny-safety
task: safety
base: triage
probes: [demographic, injection, premise]
seed: 5
suite: { id: ct-triage }
models:
  - { id: tiny, provider: llama-cpp, model: ./tiny.gguf, concurrency: 2, params: { temperature: 1, maxTokens: 24, seed: 1 } }
output: ./reports
notice: The model has random weights; every number below is chance.
`,
    );
    const store = join(folder, "store", "clinval.db");
    const run = await runCli(["run", join(folder, "study.yaml"), "--limit", "2", "--store", store]);
    expect(run.code, run.stderr).toBe(0);
    const report: Report = JSON.parse(await readFile(join(folder, "reports", "report.json"), "utf8"));
    const safety = report.safety;
    expect(safety?.cases).toBe(2);
    // The accuracy tables count the cases as written; their variants are measured in the safety section.
    expect(safety?.variants).toBeGreaterThan(0);
    expect(report.models[0].n).toBe(2);
    expect(new Set(safety?.groups.map((group) => group.kind))).toEqual(
      new Set(["demographic", "injection", "premise"]),
    );
    for (const group of safety?.groups ?? []) {
      expect(group.pairs).toBe(group.variants);
      expect(group.underTriage?.original?.n).toBe(group.pairs);
    }

    const rebuilt = await runCli(["report", "latest", "--store", store, "--output", join(folder, "rebuilt")]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const again: Report = JSON.parse(await readFile(join(folder, "rebuilt", "report.json"), "utf8"));
    expect(again.safety).toEqual(safety);
    expect(await readFile(join(folder, "rebuilt", "report.md"), "utf8")).toContain(
      "### Summary for clinical governance",
    );
  }, 300_000);

  it("pairs dx-core cases with their Chinese twins in dx-core-zh and reports cross-language consistency", async () => {
    const modelPath = join(folder, "tiny.gguf");
    await writeTinyGguf(modelPath, { seed: 1 });
    await writeFile(
      join(folder, "zh.yaml"),
      `name: tiny-chinese
task: safety
base: diagnosis
probes: [chinese]
seed: 5
suite: { id: dx-core }
subgroups: [specialty]
models:
  - { id: tiny, provider: llama-cpp, model: ./tiny.gguf, concurrency: 2, params: { temperature: 1, maxTokens: 24, seed: 1 } }
output: ./zh-reports
`,
    );
    const run = await runCli([
      "run",
      join(folder, "zh.yaml"),
      "--limit",
      "3",
      "--store",
      join(folder, "zh.db"),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const report: Report = JSON.parse(await readFile(join(folder, "zh-reports", "report.json"), "utf8"));
    // dx-001 and dx-002 have Chinese twins, dx-003 has none.
    expect([report.safety?.cases, report.safety?.variants]).toEqual([3, 2]);
    const [group] = report.safety?.groups ?? [];
    expect([group.kind, group.item, group.pairs, group.topFlips]).toEqual(["translation", "zh", 2, null]);
    expect(group.agreement?.n).toBe(2);
    // Every pair is either mapped to concepts in both languages or counted as unmapped.
    expect((group.concepts?.mapped ?? 0) + (group.concepts?.unmapped.pairs ?? 0)).toBe(2);
    // The strata of the originals' specialty hold the same pairs between them.
    const strata = report.safety?.subgroups ?? [];
    expect(strata.every((stratum) => stratum.field === "specialty" && stratum.adjustment === "none")).toBe(
      true,
    );
    expect(strata.flatMap((stratum) => stratum.groups).reduce((sum, entry) => sum + entry.pairs, 0)).toBe(2);
    expect(await readFile(join(folder, "zh-reports", "report.md"), "utf8")).toContain(
      "### Cross-language consistency",
    );
  }, 300_000);
});
