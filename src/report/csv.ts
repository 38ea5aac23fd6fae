export type CsvValue = string | number | boolean | null;

const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Text a spreadsheet would run as a formula: it starts with =, +, -, @, a tab or a carriage return (after any
 * single quotes, so that a guarded cell read back stays distinct) and is not a plain number such as "-0.5".
 */
function runsAsFormula(text: string): boolean {
  return /^'*[=+\-@\t\r]/.test(text) && !PLAIN_NUMBER.test(text.replace(/^'+/, ""));
}

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes doubled); null is empty.
 * Text that a spreadsheet would run as a formula gets a leading single quote (OWASP's rule against CSV
 * injection); numbers stay as they are.
 */
export function csvField(value: CsvValue): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && runsAsFormula(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Undoes csvField's formula guard on a cell read back ("'=x" → "=x"); any other text stays as it is. */
export function unguardCsvCell(cell: string): string {
  return cell.startsWith("'") && runsAsFormula(cell.slice(1)) ? cell.slice(1) : cell;
}

/** RFC 4180 text: CRLF after every record, the header first. */
export function toCsv(header: readonly string[], records: ReadonlyArray<readonly CsvValue[]>): string {
  return [header, ...records].map((record) => `${record.map(csvField).join(",")}\r\n`).join("");
}
