export type CsvValue = string | number | boolean | null;

/** One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes doubled); null is empty. */
export function csvField(value: CsvValue): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 text: CRLF after every record, the header first. */
export function toCsv(header: readonly string[], records: ReadonlyArray<readonly CsvValue[]>): string {
  return [header, ...records].map((record) => `${record.map(csvField).join(",")}\r\n`).join("");
}
