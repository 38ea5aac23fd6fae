import { extname } from "node:path";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { InputError } from "../core/errors.ts";
import { duplicateJsonKey } from "../suites/duplicate-json-key.ts";
import { parseCsvWithHeader } from "../suites/parse-csv.ts";
import { readTextFile } from "../suites/read-text-file.ts";

/** One record of a data file with the line it starts on. */
export interface SourceRecord {
  line: number;
  values: Record<string, unknown>;
}

export interface RecordFile {
  path: string;
  sha256: string;
  records: SourceRecord[];
}

/**
 * Reads a JSON array, JSON Lines or CSV file of records. Parquet is refused with a hint: no maintained
 * pure-JavaScript Parquet reader is among clinval's dependencies.
 */
export async function readRecordFile(path: string): Promise<RecordFile> {
  const extension = extname(path).toLowerCase();
  if (extension === ".parquet") {
    throw new InputError(
      "Parquet is not read; convert it to JSON Lines first, e.g. with pandas: pd.read_parquet(f).to_json(out, orient='records', lines=True)",
      { file: path },
      "unknown-format",
    );
  }
  if (![".json", ".jsonl", ".ndjson", ".csv"].includes(extension)) {
    throw new InputError(
      `unknown data file type "${extension}": use .json (an array), .jsonl or .csv`,
      { file: path },
      "unknown-format",
    );
  }
  const file = await readTextFile(path, "data file");
  const records =
    extension === ".csv"
      ? parseCsvWithHeader(file.text, path).rows.map(({ line, row }) => ({ line, values: row }))
      : extension === ".json"
        ? parseJsonArray(file.text, path)
        : parseJsonLines(file.text, path);
  if (records.length === 0) throw new InputError("the file has no records", { file: path }, "empty-file");
  return { path, sha256: file.sha256, records };
}

function parseJsonLines(text: string, file: string): SourceRecord[] {
  const records: SourceRecord[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    if (content.trim() === "") return;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      throw new InputError(`invalid JSON: ${(error as Error).message}`, { file, line }, "invalid-json");
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InputError("each line must be one JSON object", { file, line }, "invalid-json");
    }
    const duplicate = duplicateJsonKey(content);
    if (duplicate !== undefined) {
      throw new InputError(
        `the key "${duplicate}" is given twice in one object`,
        { file, line },
        "invalid-json",
      );
    }
    records.push({ line, values: value as Record<string, unknown> });
  });
  return records;
}

/** A JSON array of objects (the form Hugging Face dataset files often take), with each object's line. */
function parseJsonArray(text: string, file: string): SourceRecord[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    throw new InputError(
      error.message.split("\n")[0],
      { file, line: lineCounter.linePos(error.pos[0]).line },
      "invalid-json",
    );
  }
  const root = document.contents;
  if (!isSeq(root)) {
    throw new InputError("expected a JSON array of objects", { file, line: 1 }, "invalid-json");
  }
  return root.items.map((item) => {
    const line = lineCounter.linePos(isMap(item) && item.range ? item.range[0] : 0).line;
    if (!isMap(item))
      throw new InputError("each array element must be an object", { file, line }, "invalid-json");
    return { line, values: item.toJSON() as Record<string, unknown> };
  });
}
