/**
 * Builds suites/ct-triage/2/cases.jsonl from version 1 (suites/ct-triage/1/cases.jsonl, left unchanged) and the
 * hand-written rewrites in impressions/*.txt. Each rewrite file holds blocks of the form
 *
 *   ## ct-0121 label=negative          (label= only where the conventions change the v1 label)
 *   FINDINGS: …                         (optional: replaces the v1 findings section)
 *   the new impression, one or more lines
 *
 * Only reports of completed rewrite files are written, in id order.
 * Run: npx tsx suites/ct-triage/2/build-cases.ts
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const LABELS = new Set(["negative", "routine", "urgent"]);
const here = import.meta.dirname;
const v1Path = join(here, "..", "1", "cases.jsonl");
const rewritesDirectory = join(here, "impressions");

interface Rewrite {
  label: string | null;
  findings: string | null;
  impression: string;
  source: string;
}

function parseRewrites(file: string): Map<string, Rewrite> {
  const rewrites = new Map<string, Rewrite>();
  const blocks = readFileSync(join(rewritesDirectory, file), "utf8").split(/^## /m).slice(1);
  for (const block of blocks) {
    const [header, ...body] = block.trim().split("\n");
    const match = /^(ct-\d{4})(?: label=(\w+))?$/.exec(header.trim());
    if (match === null) throw new Error(`${file}: bad header "${header}"`);
    const [, id, label] = match;
    if (label !== undefined && !LABELS.has(label)) throw new Error(`${file}: ${id}: unknown label ${label}`);
    const lines = body.map((line) => line.trim()).filter((line) => line.length > 0);
    const findingsLine = lines.findIndex((line) => line.startsWith("FINDINGS:"));
    const findings = findingsLine < 0 ? null : lines.splice(findingsLine, 1)[0];
    if (lines.length === 0) throw new Error(`${file}: ${id}: no impression`);
    if (rewrites.has(id)) throw new Error(`${file}: ${id} twice`);
    rewrites.set(id, { label: label ?? null, findings, impression: lines.join("\n"), source: file });
  }
  return rewrites;
}

/** One JSON object per line, spaced like v1's file so that the two versions diff cleanly. */
function jsonLine(record: Record<string, unknown>): string {
  const fields = Object.entries(record).map(
    ([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`,
  );
  return `{${fields.join(", ")}}`;
}

const rewrites = new Map<string, Rewrite>();
for (const file of readdirSync(rewritesDirectory)
  .filter((name) => name.endsWith(".txt"))
  .sort()) {
  for (const [id, rewrite] of parseRewrites(file)) {
    const earlier = rewrites.get(id);
    if (earlier !== undefined) throw new Error(`${id} rewritten in ${earlier.source} and ${file}`);
    rewrites.set(id, rewrite);
  }
}

const out: string[] = [];
for (const line of readFileSync(v1Path, "utf8").trim().split("\n")) {
  const report = JSON.parse(line);
  const rewrite = rewrites.get(report.id);
  if (rewrite === undefined) continue;
  rewrites.delete(report.id);
  const impressionAt = report.text.lastIndexOf("\nIMPRESSION:");
  if (impressionAt < 0) throw new Error(`${report.id}: v1 report without an IMPRESSION section`);
  let head: string = report.text.slice(0, impressionAt);
  if (rewrite.findings !== null) {
    const findingsAt = head.indexOf("\nFINDINGS:");
    if (findingsAt < 0) throw new Error(`${report.id}: v1 report without a FINDINGS section`);
    head = `${head.slice(0, findingsAt)}\n${rewrite.findings}`;
  }
  const text = `${head}\nIMPRESSION: ${rewrite.impression}`;
  out.push(jsonLine({ ...report, text, label: rewrite.label ?? report.label }));
}
if (rewrites.size > 0) throw new Error(`rewrites for unknown ids: ${[...rewrites.keys()].join(", ")}`);
writeFileSync(join(here, "cases.jsonl"), `${out.join("\n")}\n`);
console.log(`wrote ${out.length} reports`);
