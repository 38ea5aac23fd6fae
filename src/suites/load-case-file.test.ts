import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { loadCaseFile, readCaseFile } from "./load-case-file.ts";

const directory = mkdtempSync(join(tmpdir(), "clinval-cases-"));
function write(name: string, content: string | Buffer): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}
const diagnosis = { requiredFields: ["presentation", "diagnosis"] };

async function problemsOf(path: string, options = diagnosis): Promise<string[]> {
  const { problems } = await readCaseFile(path, options);
  return problems.map((problem) => problem.describe());
}

describe("loadCaseFile", () => {
  it("reads JSONL and keeps extra fields as they are", async () => {
    const path = write(
      "cases.jsonl",
      `${JSON.stringify({ id: "c1", presentation: "A man, 60.", diagnosis: "Gout", accept: ["gouty arthritis"], ward: "A" })}\n\n${JSON.stringify({ id: 2, presentation: "A girl, 4.", diagnosis: "Croup" })}\n`,
    );
    const suite = await loadCaseFile(path, diagnosis);
    expect(suite.id).toBe("cases.jsonl");
    expect(suite.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(suite.cases).toEqual([
      { id: "c1", presentation: "A man, 60.", diagnosis: "Gout", accept: ["gouty arthritis"], ward: "A" },
      { id: "2", presentation: "A girl, 4.", diagnosis: "Croup" },
    ]);
  });

  it("reads CSV with a field mapping, list columns and quoted multi-line text", async () => {
    const path = write(
      "mine.csv",
      'case_id,text,answer,synonyms,unit\r\nk1,"Fever,\r\ncough",Pneumonia,"CAP; lobar pneumonia",icu\r\nk2,Headache,Migraine,"[""hemicrania""]",ed\r\n',
    );
    const suite = await loadCaseFile(path, {
      ...diagnosis,
      fields: { id: "case_id", presentation: "text", diagnosis: "answer", accept: "synonyms" },
    });
    expect(suite.cases).toEqual([
      {
        id: "k1",
        presentation: "Fever,\r\ncough",
        diagnosis: "Pneumonia",
        accept: ["CAP", "lobar pneumonia"],
        unit: "icu",
      },
      { id: "k2", presentation: "Headache", diagnosis: "Migraine", accept: ["hemicrania"], unit: "ed" },
    ]);
  });

  it("reads YAML as a list or under `cases:`", async () => {
    const path = write(
      "cases.yaml",
      "cases:\n  - id: y1\n    presentation: Chest pain\n    diagnosis: Pericarditis\n",
    );
    expect((await loadCaseFile(path, diagnosis)).cases).toEqual([
      { id: "y1", presentation: "Chest pain", diagnosis: "Pericarditis" },
    ]);
  });

  it("keeps only the requested split", async () => {
    const path = write(
      "split.jsonl",
      [
        { id: "a", text: "x", label: "urgent", split: "train" },
        { id: "b", text: "y", label: "routine", split: "test" },
      ]
        .map((line) => JSON.stringify(line))
        .join("\n"),
    );
    const suite = await loadCaseFile(path, { requiredFields: ["text", "label"], split: "test" });
    expect(suite.cases.map((testCase) => testCase.id)).toEqual(["b"]);
  });
});

describe("bad case files", () => {
  it("names the line and field of every problem", async () => {
    const path = write(
      "bad.jsonl",
      [
        JSON.stringify({ id: "a", presentation: "x", diagnosis: "y" }),
        "{not json",
        JSON.stringify({ id: "a", presentation: "x", diagnosis: "y" }),
        JSON.stringify({ id: "c", presentation: "", diagnosis: "y" }),
        JSON.stringify({ id: "d", presentation: "x" }),
        JSON.stringify({ id: "e", presentation: "x", diagnosis: "y", accept: [1] }),
      ].join("\n"),
    );
    const [invalidJson, ...rest] = await problemsOf(path);
    expect(invalidJson).toMatch(new RegExp(`^${path}:2: invalid JSON: `));
    expect(rest).toEqual([
      `${path}:3: id: duplicate case id "a" (first on line 1)`,
      `${path}:4: presentation: must be a non-empty string`,
      `${path}:5: diagnosis: is missing`,
      `${path}:6: accept: must be a list of strings (in CSV: \`a; b; c\` or a JSON array)`,
    ]);
  });

  it("names the mapped column that is missing", async () => {
    const path = write("mapped.csv", "id,body,diagnosis\n1,text,Gout\n");
    expect(
      await problemsOf(path, { ...diagnosis, fields: { presentation: "text" } } as typeof diagnosis),
    ).toEqual([
      `${path}:1: fields.presentation: column "text" is in no case of the file (its columns: id, body, diagnosis)`,
    ]);
  });

  it("says once that a mapped column is absent, and never falls back to the field's own column", async () => {
    const path = write(
      "fallback.jsonl",
      '{"id": "1", "presentation": "own", "diagnosis": "Gout"}\n{"id": "2", "presentation": "own", "diagnosis": "Gout"}\n',
    );
    expect(
      await problemsOf(path, { ...diagnosis, fields: { presentation: "text" } } as typeof diagnosis),
    ).toEqual([
      `${path}: fields.presentation: column "text" is in no case of the file (its columns: id, presentation, diagnosis)`,
    ]);
  });

  it("refuses a key given twice in one case line", async () => {
    const path = write(
      "twice.jsonl",
      '{"id": "1", "presentation": "a", "diagnosis": "Gout"}\n{"id": "2", "presentation": "a", "diagnosis": "Gout", "diagnosis": "Pseudogout"}\n',
    );
    expect(await problemsOf(path, diagnosis)).toEqual([
      `${path}:2: the key "diagnosis" is given twice in one object`,
    ]);
  });

  it("rejects an empty suite, a ragged CSV, a non-UTF-8 file and an unknown type", async () => {
    await expect(loadCaseFile(write("empty.jsonl", "\n\n"), diagnosis)).rejects.toThrow(
      "the suite has no cases",
    );
    await expect(
      loadCaseFile(write("ragged.csv", "id,presentation,diagnosis\n1,a\n"), diagnosis),
    ).rejects.toThrow("has 2 values, the header has 3 columns");
    const latin1 = write(
      "latin1.jsonl",
      Buffer.from('{"id":"1","presentation":"caf\xe9","diagnosis":"x"}\n', "latin1"),
    );
    const error = await loadCaseFile(latin1, diagnosis).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).describe()).toBe(
      `${latin1}:1: not valid UTF-8; save the case file as UTF-8`,
    );
    await expect(loadCaseFile(write("cases.txt", "x"), diagnosis)).rejects.toThrow(
      'unknown case file type ".txt"',
    );
    await expect(loadCaseFile(join(directory, "absent.jsonl"), diagnosis)).rejects.toThrow(
      "case file not found",
    );
  });
});
