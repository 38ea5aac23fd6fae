/**
 * Case files as published benchmarks ship them (issue 14): nested objects on every line, or one JSON array,
 * mapped with dotted field paths and broken down by a dotted subgroup, through `clinval run`.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../src/analysis/report-types.ts";
import {
  type OpenAICompatibleServer,
  startOpenAICompatibleServer,
} from "./support/openai-compatible-server.ts";
import { runCli } from "./support/run-cli.ts";

const PUBLISHED = [
  {
    qid: 101,
    case: { text: "A 24-year-old with fever and a stiff neck.", age: 24 },
    answer: { dx: "Bacterial meningitis" },
    meta: { source: "board-exam", tags: ["neuro"] },
  },
  {
    qid: 102,
    case: { text: "A 60-year-old with crushing chest pain.", age: 60 },
    answer: { dx: "Myocardial infarction" },
    meta: { source: "board-exam", tags: [] },
  },
  {
    qid: 103,
    case: { text: "A 7-year-old with a limp and a fever.", age: 7 },
    answer: { dx: "Septic arthritis" },
    meta: { source: "case-report", tags: ["paeds"] },
  },
];

let folder: string;
let server: OpenAICompatibleServer;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-nested-"));
  // The model names meningitis and infarction first, never septic arthritis.
  server = await startOpenAICompatibleServer({
    reply: () => ({
      content: '{"diagnoses": ["Bacterial meningitis", "Myocardial infarction", "Influenza"]}',
    }),
    models: ["model-a"],
  });
});

afterAll(async () => {
  await server.close();
  await rm(folder, { recursive: true, force: true });
});

function study(name: string, file: string): string {
  return `name: ${name}
task: diagnosis
suite:
  path: ./${file}
  fields: { id: qid, presentation: case.text, diagnosis: answer.dx }
models:
  - { id: model-a, provider: openai, baseUrl: ${server.url}, model: model-a }
subgroups: [meta.source]
output: ./reports-${name}
`;
}

describe("nested case files", () => {
  it.each([
    ["jsonl", "published.jsonl", PUBLISHED.map((record) => `${JSON.stringify(record)}\n`).join("")],
    ["json-array", "published.json", JSON.stringify(PUBLISHED, null, 2)],
  ])("runs a %s file with dotted field maps and a dotted subgroup", async (name, file, content) => {
    await writeFile(join(folder, file), content);
    await writeFile(join(folder, `${name}.yaml`), study(name, file));
    const result = await runCli(["run", join(folder, `${name}.yaml`), "--store", join(folder, `${name}.db`)]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(
      await readFile(join(folder, `reports-${name}`, "report.json"), "utf8"),
    ) as Report;
    expect(report.models[0].outcomes).toEqual({
      correct: 2,
      incorrect: 1,
      unparseable: 0,
      truncated: 0,
      error: 0,
    });
    expect(
      report.subgroups.map((stratum) => ({
        field: stratum.field,
        value: stratum.value,
        correct: stratum.models[0].outcomes.correct,
        n: stratum.models[0].n,
      })),
    ).toEqual([
      { field: "meta.source", value: "board-exam", correct: 2, n: 2 },
      { field: "meta.source", value: "case-report", correct: 0, n: 1 },
    ]);
    const csv = await readFile(join(folder, `reports-${name}`, "cases.csv"), "utf8");
    expect(csv.split("\r\n")[0]).toMatch(/,meta\.source$/);
    expect(csv).toContain("model-a,103,0,incorrect,");
  });
});
