import type { Report, ReportDetails } from "../analysis/report-types.ts";
import { buildDocument, type Cell, type Table } from "./document.ts";
import { safetyMarkdownBlocks } from "./safety-section.ts";

/**
 * Text safe inside Markdown (and inside a table cell): one line, no emphasis, links, headings or tables,
 * and no HTML: `<` is escaped where it could open a tag or autolink, `&` where it could open an entity.
 * A `<` before a space or digit (as in "< 0.001") stays readable.
 */
export function escapeMarkdown(value: string): string {
  return value
    .replace(/\r\n|\r|\n/g, " ")
    .replace(/&(?=#?\w+;)/g, "&amp;")
    .replace(/<(?=[A-Za-z/!?])/g, "&lt;")
    .replace(/[\\`*_[\]|#~>]/g, (character) => `\\${character}`);
}

/** An http(s) address as a Markdown link destination: nothing in it can end the link or the table cell. */
export function markdownDestination(href: string): string {
  return [...href]
    .map((character) => {
      const code = character.charCodeAt(0);
      const unsafe = code <= 0x20 || code === 0x7f || "()<>|\\`[]".includes(character);
      return unsafe ? `%${code.toString(16).toUpperCase().padStart(2, "0")}` : character;
    })
    .join("");
}

function cellText(cell: Cell): string {
  if (typeof cell === "string") return escapeMarkdown(cell);
  const escaped = escapeMarkdown(cell.text);
  const linked =
    cell.href !== undefined && /^https?:\/\//i.test(cell.href)
      ? `[${escaped}](${markdownDestination(cell.href)})`
      : escaped;
  return cell.strong ? `**${linked}**` : linked;
}

function markdownTable(table: Table): string {
  const header = `| ${table.columns.map((column) => escapeMarkdown(column.label)).join(" | ")} |`;
  const rule = `|${table.columns.map((column) => (column.numeric ? "---:" : ":---")).join("|")}|`;
  const rows = table.rows.map((row) => `| ${row.map(cellText).join(" | ")} |`);
  return [`**${escapeMarkdown(table.caption)}**`, "", header, rule, ...rows].join("\n");
}

/** report.md: a paper-style results section. Its first line says whether the run is complete. */
export function renderMarkdown(report: Report, details: ReportDetails): string {
  const document = buildDocument(report, details);
  const blocks: string[] = [
    `**${escapeMarkdown(document.status)}**`,
    ...(document.notice ? [`> **${escapeMarkdown(document.notice)}**`] : []),
    `# ${escapeMarkdown(document.title)}`,
    document.facts.map(([label, value]) => `${escapeMarkdown(label)}: ${escapeMarkdown(value)}`).join(" · "),
    "## Methods",
    ...document.methods.map(escapeMarkdown),
    "## Results",
    markdownTable(document.accuracy),
  ];
  if (document.comparisons) blocks.push(markdownTable(document.comparisons));
  if (document.perCase) blocks.push(markdownTable(document.perCase));
  if (document.agreement) blocks.push("### Grading agreement", markdownTable(document.agreement));
  if (document.classification) {
    blocks.push("### Classification", markdownTable(document.classification.summary));
    blocks.push(markdownTable(document.classification.safety));
    if (document.classification.safetyComparisons)
      blocks.push(markdownTable(document.classification.safetyComparisons));
    for (const matrix of document.classification.matrices) blocks.push(markdownTable(matrix.table));
  }
  for (const section of document.subgroups) {
    blocks.push(`### Subgroups by ${escapeMarkdown(section.field)}`, markdownTable(section.accuracy));
    if (section.comparisons) blocks.push(markdownTable(section.comparisons));
  }
  if (document.interactions) blocks.push("### Interactions", markdownTable(document.interactions));
  if (document.sensitivity) blocks.push("### Missing answers", markdownTable(document.sensitivity));
  blocks.push(
    "### Outcome breakdown",
    document.breakdown.map((line) => `- ${escapeMarkdown(line)}`).join("\n"),
  );
  if (document.review) blocks.push(markdownTable(document.review));
  blocks.push(
    ...safetyMarkdownBlocks(report, {
      table: markdownTable,
      escape: escapeMarkdown,
    }),
  );
  if (document.errors) blocks.push("## Errors", markdownTable(document.errors));
  if (document.errorModes.length > 0) {
    blocks.push("## Reasoning error modes", ...document.errorModes.map(markdownTable));
  }
  blocks.push("## Caution", escapeMarkdown(document.caution));
  if (document.prompt) {
    blocks.push("## Appendix: prompt", escapeMarkdown(document.prompt.intro));
    for (const message of document.prompt.messages)
      blocks.push(`**${escapeMarkdown(message.role)}**`, fenced(message.content));
  }
  return `${blocks.join("\n\n")}\n`;
}

/** Text verbatim in a fenced code block whose fence is longer than any run of backticks in it. */
function fenced(content: string): string {
  const longest = Math.max(0, ...[...content.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}text\n${content}\n${fence}`;
}
