import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../core/errors.ts";
import { countTokens } from "../providers/llama-cpp/llama-cpp-provider.ts";
import { writeTinyGguf } from "../providers/llama-cpp/tiny-gguf.ts";
import * as triagePrompt from "../tasks/triage/prompt.ts";
import { runSft } from "./sft-command.test-support.ts";

const FIXTURES = join(import.meta.dirname, "fixtures");
const MEDICAL_O1 = join(FIXTURES, "medical-o1-sample.json");
const REPORTS = join(FIXTURES, "hospital-reports.csv");
const directory = mkdtempSync(join(tmpdir(), "clinval-sft-prepare-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const read = (folder: string, name: string) => readFileSync(join(folder, name), "utf8");
const lines = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));

async function prepare(name: string, ...args: string[]): Promise<string> {
  const out = join(directory, name);
  const run = await runSft("prepare", ...args, "--out", out);
  expect(run.error).toBeUndefined();
  return out;
}

function write(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

describe("sft prepare: medical-o1 reasoning sets", () => {
  it("writes chat JSONL with the reasoning in <think> and a data card, byte-identical under the same seed", async () => {
    const first = await prepare("o1-a", "--reasoning", MEDICAL_O1, "--seed", "7", "--validation", "0.34");
    const second = await prepare("o1-b", "--reasoning", MEDICAL_O1, "--seed", "7", "--validation", "0.34");
    for (const name of ["train.jsonl", "validation.jsonl", "data-card.json", "DATA-CARD.md"]) {
      expect(read(second, name)).toBe(read(first, name));
    }
    const train = lines(read(first, "train.jsonl"));
    const validation = lines(read(first, "validation.jsonl"));
    expect(train.length + validation.length).toBe(6);
    expect(validation.length).toBe(2);
    const source = JSON.parse(readFileSync(MEDICAL_O1, "utf8")) as Array<Record<string, string>>;
    const gout = source[3];
    const all = [...train, ...validation];
    expect(all).toContainEqual({
      messages: [
        { role: "user", content: gout.Question },
        { role: "assistant", content: `<think>\n${gout.Complex_CoT}\n</think>\n\n${gout.Response}` },
      ],
    });
    const card = JSON.parse(read(first, "data-card.json"));
    const approximate = (row: Record<string, string>) =>
      Math.ceil(`${row.Question}\n<think>\n${row.Complex_CoT}\n</think>\n\n${row.Response}`.length / 4);
    const trainCounts = train.map((line) => source.find((row) => row.Question === line.messages[0].content));
    const counts = trainCounts.map((row) => approximate(row as Record<string, string>)).sort((a, b) => a - b);
    expect(card).toEqual({
      schema: "clinval.sft-data-card/v1",
      format: "chat",
      reasoningStyle: "r1",
      seed: 7,
      validationFraction: 0.34,
      tokenizer:
        "approximation: one token per 4 characters, rounded up (give --tokenizer model.gguf for exact counts)",
      sources: [
        {
          kind: "reasoning",
          name: MEDICAL_O1,
          sha256: sha256(MEDICAL_O1),
          licence: "not stated",
          records: 6,
          examples: 6,
        },
      ],
      filters: { maxTokens: null, overLength: "drop", droppedOverLength: [], truncated: [], excluded: [] },
      splits: {
        train: {
          examples: 4,
          byStratum: { "": 4 },
          tokens: {
            min: counts[0],
            median: (counts[1] + counts[2]) / 2,
            p95: Math.round((counts[2] + 0.85 * (counts[3] - counts[2])) * 10) / 10,
            max: counts[3],
            mean: Math.round((counts.reduce((a, b) => a + b, 0) / 4) * 10) / 10,
            total: counts.reduce((a, b) => a + b, 0),
          },
        },
        validation: expect.objectContaining({ examples: 2, byStratum: { "": 2 } }),
      },
    });
  });

  it("reads the same rows from a JSON array, JSON Lines and CSV alike, in ShareGPT and Alpaca too", async () => {
    const rows = JSON.parse(readFileSync(MEDICAL_O1, "utf8")) as Array<Record<string, string>>;
    const renamed = rows.map((row) => ({ q: row.Question, cot: row.Complex_CoT, a: row.Response }));
    const jsonl = write("o1.jsonl", `${renamed.map((row) => JSON.stringify(row)).join("\n")}\n`);
    const csvCell = (text: string) => `"${text.replaceAll('"', '""')}"`;
    const csv = write(
      "o1.csv",
      `q,cot,a\n${renamed.map((row) => [row.q, row.cot, row.a].map(csvCell).join(",")).join("\n")}\n`,
    );
    const fields = ["--fields", "question=q,reasoning=cot,response=a"];
    const fromJson = await prepare("o1-json", "--reasoning", MEDICAL_O1);
    const fromJsonl = await prepare("o1-jsonl", "--reasoning", jsonl, ...fields);
    const fromCsv = await prepare("o1-csv", "--reasoning", csv, ...fields);
    expect(read(fromJsonl, "train.jsonl")).toBe(read(fromJson, "train.jsonl"));
    expect(read(fromCsv, "validation.jsonl")).toBe(read(fromJson, "validation.jsonl"));

    const shareGpt = lines(
      read(await prepare("o1-sharegpt", "--reasoning", MEDICAL_O1, "--format", "sharegpt"), "train.jsonl"),
    );
    const alpaca = lines(
      read(
        await prepare(
          "o1-alpaca",
          "--reasoning",
          MEDICAL_O1,
          "--format",
          "alpaca",
          "--reasoning-style",
          "none",
        ),
        "train.jsonl",
      ),
    );
    const first = rows.find((row) => row.Question === shareGpt[0].conversations[0].value) as Record<
      string,
      string
    >;
    expect(shareGpt[0]).toEqual({
      conversations: [
        { from: "human", value: first.Question },
        { from: "gpt", value: `<think>\n${first.Complex_CoT}\n</think>\n\n${first.Response}` },
      ],
    });
    expect(alpaca[0]).toEqual({ instruction: first.Question, input: "", output: first.Response });
  });

  it("drops or truncates over-long examples, counting with a GGUF model's tokenizer", async () => {
    const model = join(directory, "tiny.gguf");
    await writeTinyGguf(model);
    const rows = JSON.parse(readFileSync(MEDICAL_O1, "utf8")) as Array<Record<string, string>>;
    const texts = rows.map(
      (row) => `${row.Question}\n<think>\n${row.Complex_CoT}\n</think>\n\n${row.Response}`,
    );
    const counts = await countTokens(model, texts);
    const limit = [...counts].sort((a, b) => a - b)[3];
    const over = rows.flatMap((_, index) =>
      counts[index] > limit ? [`medical-o1-sample.json:${2 + 5 * index}`] : [],
    );
    expect(over.length).toBe(2);

    const dropped = await prepare(
      "o1-drop",
      "--reasoning",
      MEDICAL_O1,
      "--tokenizer",
      model,
      "--max-tokens",
      String(limit),
    );
    const droppedCard = JSON.parse(read(dropped, "data-card.json"));
    expect(droppedCard.tokenizer).toBe(
      "tokenizer of tiny.gguf (GGUF vocabulary via node-llama-cpp, special tokens parsed)",
    );
    expect(droppedCard.filters).toEqual({
      maxTokens: limit,
      overLength: "drop",
      droppedOverLength: over,
      truncated: [],
      excluded: [],
    });
    expect(droppedCard.splits.train.examples + droppedCard.splits.validation.examples).toBe(4);
    expect(droppedCard.splits.train.tokens.max).toBeLessThanOrEqual(limit);

    const truncated = await prepare(
      "o1-truncate",
      "--reasoning",
      MEDICAL_O1,
      "--tokenizer",
      model,
      "--max-tokens",
      String(limit),
      "--over-length",
      "truncate",
    );
    const card = JSON.parse(read(truncated, "data-card.json"));
    expect(card.filters.truncated).toEqual(over);
    expect(card.filters.droppedOverLength).toEqual([]);
    const kept = [...lines(read(truncated, "train.jsonl")), ...lines(read(truncated, "validation.jsonl"))];
    expect(kept.length).toBe(6);
    const keptCounts = await countTokens(
      model,
      kept.map((line) => `${line.messages[0].content}\n${line.messages[1].content}`),
    );
    expect(Math.max(...keptCounts)).toBeLessThanOrEqual(limit);
    expect(Math.max(...keptCounts)).toBe(
      Math.max(card.splits.train.tokens.max, card.splits.validation.tokens.max),
    );
  });
});

describe("sft prepare: a hospital's labelled reports", () => {
  const fields = ["--fields", "text=report_text,label=severity"];

  it("writes (report → label) examples with the evaluation prompt, split stratified by label, byte-identical", async () => {
    const first = await prepare(
      "reports-a",
      "--reports",
      REPORTS,
      ...fields,
      "--validation",
      "0.25",
      "--seed",
      "3",
    );
    const second = await prepare(
      "reports-b",
      "--reports",
      REPORTS,
      ...fields,
      "--validation",
      "0.25",
      "--seed",
      "3",
    );
    for (const name of ["train.jsonl", "validation.jsonl", "data-card.json", "DATA-CARD.md"]) {
      expect(read(second, name)).toBe(read(first, name));
    }
    const card = JSON.parse(read(first, "data-card.json"));
    expect(card.splits.train.byStratum).toEqual({ negative: 3, routine: 3, urgent: 3 });
    expect(card.splits.validation.byStratum).toEqual({ negative: 1, routine: 1, urgent: 1 });
    const all = [...lines(read(first, "train.jsonl")), ...lines(read(first, "validation.jsonl"))];
    const labels = ["negative", "routine", "urgent"];
    expect(all).toContainEqual({
      messages: [
        { role: "system", content: triagePrompt.DEFAULT_SYSTEM_PROMPT },
        {
          role: "user",
          content: triagePrompt.defaultUserPrompt(
            "CT head: 1.5 cm acute subdural haematoma with 4 mm midline shift.",
            labels,
          ),
        },
        { role: "assistant", content: '{"label":"urgent"}' },
      ],
    });
  });

  it("takes the training split of a built-in triage suite", async () => {
    const out = await prepare("ct-triage", "--suite", "ct-triage");
    const card = JSON.parse(read(out, "data-card.json"));
    expect(card.sources[0]).toEqual(
      expect.objectContaining({
        kind: "triage-suite",
        name: "ct-triage",
        licence: "clinval built-in suite ct-triage, see its suite card",
      }),
    );
    expect(card.splits.train.examples + card.splits.validation.examples).toBe(card.sources[0].records);
  });
});

describe("sft prepare: bad input is refused with file and line", () => {
  it.each([
    [
      "a missing column",
      "bad-column.csv",
      "report_text,grade\nCT head normal,negative\n",
      'bad-column.csv:1: severity: column "severity" is missing (the file\'s columns: report_text, grade; map yours with --fields)',
    ],
    [
      "an unknown label",
      "bad-label.csv",
      "report_text,severity\nCT head normal,negative\nCT chest mass,critical\n",
      'bad-label.csv:3: severity: unknown label "critical" (the label set: negative, routine, urgent)',
    ],
  ])("%s in the reports", async (_, name, text, message) => {
    const path = write(name, text);
    const run = await runSft(
      "prepare",
      "--reports",
      path,
      "--fields",
      "text=report_text,label=severity",
      "--out",
      join(directory, "never"),
    );
    expect(run.error).toBeInstanceOf(InputError);
    expect((run.error as InputError).describe()).toBe(`${path.slice(0, -name.length)}${message}`);
  });

  it("an empty chain of thought", async () => {
    const rows = JSON.parse(readFileSync(MEDICAL_O1, "utf8"));
    rows[2].Complex_CoT = "  ";
    const path = write("empty-cot.json", JSON.stringify(rows, null, 2));
    const run = await runSft("prepare", "--reasoning", path, "--out", join(directory, "never"));
    expect((run.error as InputError).describe()).toBe(`${path}:12: Complex_CoT: is empty`);
  });

  it("a Parquet file, for want of a maintained JavaScript reader", async () => {
    const run = await runSft("prepare", "--reasoning", "train.parquet", "--out", join(directory, "never"));
    expect((run.error as InputError).describe()).toBe(
      "train.parquet: Parquet is not read; convert it to JSON Lines first, e.g. with pandas: pd.read_parquet(f).to_json(out, orient='records', lines=True)",
    );
  });
});
