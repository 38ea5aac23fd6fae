import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Report, ReportDetails } from "../analysis/report-types.ts";
import { processIsAlive } from "../runner/process-is-alive.ts";
import { renderCasesCsv } from "./cases-csv.ts";
import { renderHtml } from "./html-report.ts";
import { renderMarkdown } from "./markdown-report.ts";

export const REPORT_FILES = ["report.json", "report.md", "report.html", "cases.csv"] as const;

/** report.json as written: the contract object, 2-space indented. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * Writes report.json, report.md, report.html and cases.csv into the folder (created when missing) and
 * returns their paths. Each file is written beside its final name and renamed, so a reader never sees
 * half a report.
 */
export async function writeReports(
  report: Report,
  details: ReportDetails,
  outputDirectory: string,
): Promise<string[]> {
  const contents: Record<(typeof REPORT_FILES)[number], string> = {
    "report.json": renderJson(report),
    "report.md": renderMarkdown(report, details),
    "report.html": await renderHtml(report, details),
    "cases.csv": renderCasesCsv(report, details),
  };
  await mkdir(outputDirectory, { recursive: true });
  await removeStaleTemporaries(outputDirectory);
  const paths: string[] = [];
  for (const name of REPORT_FILES) {
    const path = join(outputDirectory, name);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, contents[name], "utf8");
    await rename(temporary, path);
    paths.push(path);
  }
  return paths;
}

const TEMPORARY = /^(?:report\.json|report\.md|report\.html|cases\.csv)\.(\d+)\.tmp$/;

/** Removes what an earlier writer killed half-way left behind: temporaries of processes that are gone. */
async function removeStaleTemporaries(outputDirectory: string): Promise<void> {
  for (const name of await readdir(outputDirectory)) {
    const pid = TEMPORARY.exec(name)?.[1];
    if (pid !== undefined && !processIsAlive(Number(pid)))
      await rm(join(outputDirectory, name), { force: true });
  }
}
