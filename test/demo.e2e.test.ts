import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_NOTICE } from "../src/cli/commands/demo.ts";
import { resolveBuiltinSuite } from "../src/suites/builtin-suites.ts";
import { runCli } from "./support/run-cli.ts";

const folder = await mkdtemp(join(tmpdir(), "clinval-demo-"));
afterAll(() => rm(folder, { recursive: true, force: true }));

describe("clinval demo", () => {
  it("runs the built-in suite through the in-process engine and labels every report as a smoke demo", async () => {
    const store = join(folder, "store", "clinval.db");
    const output = join(folder, "report");
    const demo = await runCli(["demo", "--limit", "6", "--store", store, "--output", output]);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stderr).toContain(DEMO_NOTICE);
    expect(demo.stdout).toMatch(/^Run complete\.\n {2}tiny-random-seed-1: /);

    const report = JSON.parse(await readFile(join(output, "report.json"), "utf8"));
    expect(report.notice).toBe(DEMO_NOTICE);
    // The demo runs dx-core@1, reported under that version's id.
    expect(report.study.suite).toMatchObject({ id: resolveBuiltinSuite("dx-core@1").reportId, cases: 6 });
    expect(report.models.map((model: { id: string; n: number }) => [model.id, model.n])).toEqual([
      ["tiny-random-seed-1", 6],
      ["tiny-random-seed-2", 6],
    ]);
    const markdown = (await readFile(join(output, "report.md"), "utf8")).split("\n");
    expect(markdown[0]).toMatch(/^\*\*Run complete/);
    expect(markdown[2]).toBe(`> **${DEMO_NOTICE}**`);

    // A rebuilt report keeps the warning: it is part of the stored study.
    const rebuilt = await runCli(["report", "latest", "--store", store, "--output", join(folder, "rebuilt")]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const html = await readFile(join(folder, "rebuilt", "report.html"), "utf8");
    expect(html).toContain(`<p>${DEMO_NOTICE.replaceAll("'", "&#39;")}</p>`);
  });
});
