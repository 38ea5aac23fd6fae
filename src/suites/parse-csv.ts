import { InputError } from "../core/errors.ts";

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  values: string[];
}

/**
 * RFC 4180 CSV: comma separated (or `delimiter`), fields quoted with `"` (doubled inside), quoted fields may
 * span lines, CRLF or LF line ends. Blank lines are skipped.
 */
export function parseCsv(text: string, file?: string, delimiter = ","): CsvRecord[] {
  const records: CsvRecord[] = [];
  let values: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let fieldStarted = false;
  let index = 0;

  const endField = () => {
    values.push(field);
    field = "";
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    if (!(values.length === 1 && values[0] === "")) records.push({ line: recordLine, values });
    values = [];
  };

  while (index < text.length) {
    const character = text[index];
    if (quoted) {
      if (character === '"') {
        if (text[index + 1] === '"') {
          field += '"';
          index += 2;
          continue;
        }
        quoted = false;
        index++;
        const next = text[index];
        if (next !== undefined && next !== delimiter && next !== "\n" && next !== "\r") {
          throw new InputError("unexpected character after a closing quote", { file, line }, "csv-syntax");
        }
        continue;
      }
      if (character === "\n") line++;
      field += character;
      index++;
      continue;
    }
    if (character === '"' && !fieldStarted && field === "") {
      quoted = true;
      fieldStarted = true;
      index++;
    } else if (character === delimiter) {
      endField();
      index++;
    } else if (character === "\r" || character === "\n") {
      endRecord();
      index += character === "\r" && text[index + 1] === "\n" ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += character;
      fieldStarted = true;
      index++;
    }
  }
  if (quoted)
    throw new InputError("a quoted field is never closed", { file, line: recordLine }, "csv-syntax");
  if (field !== "" || values.length > 0) endRecord();
  return records;
}

/**
 * The separator of a CSV file as spreadsheets in many locales save it: the one of comma, semicolon and tab
 * that the header line (outside quotes) holds most often; a comma when it holds none.
 */
export function detectDelimiter(text: string): string {
  const counts = new Map([
    [",", 0],
    [";", 0],
    ["\t", 0],
  ]);
  let quoted = false;
  for (const character of text) {
    if (character === '"') quoted = !quoted;
    else if (!quoted && (character === "\n" || character === "\r")) break;
    else if (!quoted && counts.has(character)) counts.set(character, (counts.get(character) ?? 0) + 1);
  }
  return [...counts].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
}

/**
 * CSV with a header row, as objects keyed by column name; the separator is detected (`detectDelimiter`).
 * Ragged rows are an error naming the line.
 */
export function parseCsvWithHeader(
  text: string,
  file?: string,
): { columns: string[]; rows: Array<{ line: number; row: Record<string, string> }> } {
  const [header, ...records] = parseCsv(text, file, detectDelimiter(text));
  if (!header)
    throw new InputError("the file is empty (a header row is needed)", { file, line: 1 }, "empty-file");
  const columns = header.values.map((column) => column.trim());
  const seen = new Set<string>();
  for (const column of columns) {
    if (column === "")
      throw new InputError("a header column has no name", { file, line: header.line }, "csv-header");
    if (seen.has(column)) {
      throw new InputError(
        `column "${column}" appears twice in the header`,
        { file, line: header.line },
        "csv-header",
      );
    }
    seen.add(column);
  }
  const rows = records.map((record) => {
    if (record.values.length !== columns.length) {
      throw new InputError(
        `has ${record.values.length} values, the header has ${columns.length} columns`,
        { file, line: record.line },
        "csv-ragged",
      );
    }
    return {
      line: record.line,
      row: Object.fromEntries(columns.map((column, i) => [column, record.values[i]])),
    };
  });
  return { columns, rows };
}
