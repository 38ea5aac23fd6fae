import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { smallAnalysis } from "./report.test-support.ts";
import { writeReports } from "./write-reports.ts";

describe("writeReports", () => {
  const directories: string[] = [];
  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  it("writes the four files into a new folder and returns their paths", async () => {
    const root = await mkdtemp(join(tmpdir(), "clinval-reports-"));
    directories.push(root);
    const output = join(root, "nested", "output");
    const { report, details } = smallAnalysis();
    const paths = await writeReports(report, details, output);
    expect(paths).toEqual(
      ["report.json", "report.md", "report.html", "cases.csv"].map((name) => join(output, name)),
    );
    const json = await readFile(paths[0], "utf8");
    expect(JSON.parse(json)).toEqual(report);
    expect(
      json.startsWith('{\n  "schema": "clinval.report/v1",\n  "study": {\n    "name": "small-study",'),
    ).toBe(true);
    expect((await readFile(paths[1], "utf8")).split("\n")[0]).toMatch(/^\*\*Run incomplete: /);
    expect(await readFile(paths[2], "utf8")).toMatch(/^<!doctype html>/);
    expect((await readFile(paths[3], "utf8")).split("\r\n")).toHaveLength(10);
  });

  it("removes the temporaries that a killed writer left behind, and only those", async () => {
    const output = await mkdtemp(join(tmpdir(), "clinval-reports-"));
    directories.push(output);
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    const left = [`report.json.${gone}.tmp`, `cases.csv.${gone}.tmp`];
    const kept = [`report.md.${process.ppid}.tmp`, "notes.tmp", `report.json.${gone}.tmp.bak`];
    for (const name of [...left, ...kept]) await writeFile(join(output, name), "partial");
    const { report, details } = smallAnalysis();
    await writeReports(report, details, output);
    expect((await readdir(output)).sort()).toEqual(
      ["cases.csv", "report.html", "report.json", "report.md", ...kept].sort(),
    );
  });

  it("replaces the reports of an earlier build", async () => {
    const output = await mkdtemp(join(tmpdir(), "clinval-reports-"));
    directories.push(output);
    const first = smallAnalysis();
    await writeReports(first.report, first.details, output);
    const second = smallAnalysis(true);
    const [jsonPath, markdownPath] = await writeReports(second.report, second.details, output);
    expect(JSON.parse(await readFile(jsonPath, "utf8")).run.complete).toBe(true);
    expect((await readFile(markdownPath, "utf8")).split("\n")[0]).toMatch(/^\*\*Run complete: /);
  });
});
