import { basename, extname } from "node:path";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import type { Case, Suite } from "../core/case.ts";
import { InputError, InputErrors } from "../core/errors.ts";
import { duplicateJsonKey } from "./duplicate-json-key.ts";
import { parseCsvWithHeader } from "./parse-csv.ts";
import { readTextFile } from "./read-text-file.ts";

/**
 * A record as read from a case file, before mapping and validation. Nested objects are flattened into
 * dotted keys (`{"meta": {"source": "x"}}` → `meta.source`), so that fields inside them can be mapped and
 * used as subgroups; `objects` lists the keys that held an object, with the keys found inside.
 */
interface RawRecord {
  line: number;
  values: Record<string, unknown>;
  objects: Map<string, string[]>;
}

function rawRecord(line: number, nested: Record<string, unknown>): RawRecord {
  const values: Record<string, unknown> = {};
  const objects = new Map<string, string[]>();
  const visit = (object: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(object)) {
      const path = prefix + key;
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        objects.set(
          path,
          Object.keys(value).map((inner) => `${path}.${inner}`),
        );
        visit(value as Record<string, unknown>, `${path}.`);
      } else {
        values[path] = value;
      }
    }
  };
  visit(nested, "");
  return { line, values, objects };
}

export interface CaseFileOptions {
  /** Fields every case must have beyond `id` (the task's `requiredFields`). */
  requiredFields: readonly string[];
  /** clinval field name → the file's column name. */
  fields?: Record<string, string>;
  /** Keep only cases whose `split` equals this. */
  split?: string;
  /** Suite id to report; default the file name. */
  id?: string;
}

/** Fields that hold a list. In CSV they are written `a; b; c` or as a JSON array. */
const LIST_FIELDS = new Set(["accept", "reject", "redFlags", "mustNotMiss"]);

/** Loads a JSONL, CSV or YAML case file. Throws one InputErrors listing every problem with its line. */
export async function loadCaseFile(path: string, options: CaseFileOptions): Promise<Suite> {
  const { suite, problems } = await readCaseFile(path, options);
  if (problems.length > 0) throw problems.length === 1 ? problems[0] : new InputErrors(problems);
  return suite;
}

/**
 * Like `loadCaseFile` but returns the problems instead of throwing (for `clinval suites validate`), and
 * the line on which each case starts, by case id.
 */
export async function readCaseFile(
  path: string,
  options: CaseFileOptions,
): Promise<{ suite: Suite; problems: InputError[]; lines: ReadonlyMap<string, number> }> {
  const file = await readTextFile(path, "case file");
  const problems: InputError[] = [];
  const records = parseRecords(file.text, path, problems);
  const cases: Case[] = [];
  const seenIds = new Map<string, number>();
  const mapping = options.fields ?? {};
  checkMapping(mapping, path, problems);
  const absent = absentColumns(mapping, records, path, problems);

  for (const record of records) {
    const testCase = mapRecord(record, mapping, options.requiredFields, path, problems, absent);
    if (!testCase) continue;
    const firstLine = seenIds.get(testCase.id);
    if (firstLine !== undefined) {
      problems.push(
        new InputError(`duplicate case id "${testCase.id}" (first on line ${firstLine})`, {
          file: path,
          line: record.line,
          field: fieldLabel("id", mapping),
        }),
      );
      continue;
    }
    seenIds.set(testCase.id, record.line);
    if (options.split === undefined || testCase.split === options.split) cases.push(testCase);
  }
  if (records.length === 0 && problems.length === 0) {
    problems.push(new InputError("the suite has no cases", { file: path }, "empty-suite"));
  } else if (cases.length === 0 && problems.length === 0 && options.split !== undefined) {
    problems.push(
      new InputError(`no case has split "${options.split}"`, { file: path, field: "split" }, "empty-suite"),
    );
  }
  return {
    suite: { id: options.id ?? basename(path), source: path, sha256: file.sha256, cases },
    problems,
    lines: seenIds,
  };
}

function parseRecords(text: string, file: string, problems: InputError[]): RawRecord[] {
  const extension = extname(file).toLowerCase();
  try {
    if (extension === ".jsonl" || extension === ".ndjson") return parseJsonLines(text, file, problems);
    if (extension === ".csv") {
      return parseCsvWithHeader(text, file).rows.map(({ line, row }) => rawRecord(line, row));
    }
    // A JSON file is one array of cases (or `{"cases": [...]}`); JSON is YAML, whose parser gives lines.
    if (extension === ".yaml" || extension === ".yml" || extension === ".json")
      return parseYamlCases(text, file);
  } catch (error) {
    if (error instanceof InputError) {
      problems.push(error);
      return [];
    }
    throw error;
  }
  problems.push(
    new InputError(`unknown case file type "${extension}": use .jsonl, .json, .csv or .yaml`, { file }),
  );
  return [];
}

function parseJsonLines(text: string, file: string, problems: InputError[]): RawRecord[] {
  const records: RawRecord[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    if (content.trim() === "") return;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      problems.push(
        new InputError(`invalid JSON: ${(error as Error).message}`, { file, line }, "invalid-json"),
      );
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problems.push(new InputError("each line must be one JSON object", { file, line }, "invalid-json"));
      return;
    }
    const duplicate = duplicateJsonKey(content);
    if (duplicate !== undefined) {
      problems.push(
        new InputError(`the key "${duplicate}" is given twice in one object`, { file, line }, "invalid-json"),
      );
      return;
    }
    records.push(rawRecord(line, value as Record<string, unknown>));
  });
  return records;
}

function parseYamlCases(text: string, file: string): RawRecord[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    throw new InputError(
      error.message.split("\n")[0],
      { file, line: lineCounter.linePos(error.pos[0]).line },
      "invalid-yaml",
    );
  }
  const root = document.contents;
  const list: unknown = isMap(root) ? root.get("cases", true) : root;
  if (!isSeq(list)) {
    throw new InputError("expected a list of cases (or a `cases:` list)", { file, line: 1 }, "invalid-yaml");
  }
  return list.items.map((item) => {
    const line = lineCounter.linePos(isMap(item) && item.range ? item.range[0] : 0).line;
    if (!isMap(item))
      throw new InputError("each case must be a mapping of fields", { file, line }, "invalid-yaml");
    return rawRecord(line, item.toJSON() as Record<string, unknown>);
  });
}

function checkMapping(mapping: Record<string, string>, file: string, problems: InputError[]): void {
  const targets = new Map<string, string>();
  for (const [field, column] of Object.entries(mapping)) {
    const other = targets.get(column);
    if (other !== undefined) {
      problems.push(
        new InputError(`column "${column}" is mapped to both ${other} and ${field}`, {
          file,
          field: `fields.${field}`,
        }),
      );
    }
    targets.set(column, field);
  }
}

/**
 * Mapped columns that no record has: one problem for the file (not one per row), naming the columns it
 * does have. Returns the fields whose column is absent, so that rows are not blamed for it again.
 */
function absentColumns(
  mapping: Record<string, string>,
  records: readonly RawRecord[],
  file: string,
  problems: InputError[],
): Set<string> {
  const present = new Set(
    records.flatMap((record) => [...Object.keys(record.values), ...record.objects.keys()]),
  );
  const absent = new Set<string>();
  if (records.length === 0) return absent;
  for (const [field, column] of Object.entries(mapping)) {
    if (present.has(column)) continue;
    absent.add(field);
    problems.push(
      new InputError(
        `column "${column}" is in no case of the file (its columns: ${[...present].join(", ")})`,
        { file, line: extname(file).toLowerCase() === ".csv" ? 1 : undefined, field: `fields.${field}` },
        "invalid-case",
      ),
    );
  }
  return absent;
}

function fieldLabel(field: string, mapping: Record<string, string>): string {
  const column = mapping[field];
  return column === undefined || column === field ? field : `${column} (mapped to ${field})`;
}

/** Applies the field mapping, checks the required fields, and normalises list fields. */
function mapRecord(
  record: RawRecord,
  mapping: Record<string, string>,
  requiredFields: readonly string[],
  file: string,
  problems: InputError[],
  absent: ReadonlySet<string>,
): Case | undefined {
  const mappedColumns = new Set(Object.values(mapping));
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record.values)) {
    if (!mappedColumns.has(key) || mapping[key] === key) values[key] = value;
  }
  // A mapped field comes from its column only, never from a column of the field's own name.
  for (const [field, column] of Object.entries(mapping)) {
    if (column in record.values) values[field] = record.values[column];
    else delete values[field];
  }
  let ok = true;
  const problem = (field: string, message: string) => {
    problems.push(
      new InputError(message, { file, line: record.line, field: fieldLabel(field, mapping) }, "invalid-case"),
    );
    ok = false;
  };

  for (const field of ["id", ...requiredFields]) {
    const value = values[field];
    if (absent.has(field)) {
      ok = false;
    } else if (value === undefined && record.objects.has(mapping[field] ?? field)) {
      const inside = record.objects.get(mapping[field] ?? field) ?? [];
      problem(
        field,
        `holds an object; map one of the fields inside it with \`fields:\` (${inside.slice(0, 4).join(", ")})`,
      );
    } else if (value === undefined) {
      problem(field, mapping[field] ? `column "${mapping[field]}" is missing` : "is missing");
    } else if (typeof value === "number" && field === "id") {
      values.id = String(value);
    } else if (typeof value !== "string" || value.trim() === "") {
      problem(field, "must be a non-empty string");
    }
  }
  for (const field of LIST_FIELDS) {
    if (!(field in values) || values[field] === null || values[field] === "") {
      delete values[field];
      continue;
    }
    const list = toStringList(values[field]);
    if (list === undefined) problem(field, "must be a list of strings (in CSV: `a; b; c` or a JSON array)");
    else values[field] = list;
  }
  for (const field of LIST_FIELDS) {
    if (record.objects.has(mapping[field] ?? field))
      problem(field, "must be a list of strings, not an object");
  }
  return ok ? (values as Case) : undefined;
}

function toStringList(value: unknown): string[] | undefined {
  if (Array.isArray(value)) {
    return value.every((item) => typeof item === "string") ? value.map((item) => item.trim()) : undefined;
  }
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text.startsWith("[")) {
    try {
      return toStringList(JSON.parse(text));
    } catch {
      return undefined;
    }
  }
  return text
    .split(";")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}
