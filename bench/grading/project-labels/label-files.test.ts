import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../../src/core/errors.ts";
import { type BenchmarkCase, loadBenchmark } from "../benchmark-file.ts";
import { type ItemToLabel, itemKey, loadItemsToLabel, loadLabels } from "./label-files.ts";
import { proportionalQuotas, SAMPLE_SEED, SAMPLE_SIZE, selectSample } from "./sample.ts";

describe("the shipped project labels", () => {
  const items = loadItemsToLabel();
  const labels = loadLabels(items);
  const benchmark = loadBenchmark();

  it("label every one of the 1,000 sampled lists once, with a rank exactly for the correct ones", () => {
    expect(items.length).toBe(SAMPLE_SIZE);
    expect(new Set(items.map((item) => item.id)).size).toBe(SAMPLE_SIZE);
    expect(labels.map((label) => label.id)).toEqual(items.map((item) => item.id));
    const misranked = labels.filter((label) => (label.label === "correct") !== (label.rank !== null));
    expect(misranked).toEqual([]);
  });

  it("hold the sample select-sample.ts draws, names only, as the benchmark has them", () => {
    expect(selectSample(benchmark, SAMPLE_SIZE, SAMPLE_SEED)).toEqual(items);
    const byKey = new Map(benchmark.map((testCase) => [itemKey(testCase), testCase]));
    const differing = items.filter((item) => {
      const source = byKey.get(item.id);
      return (
        source === undefined ||
        source.reference !== item.reference ||
        JSON.stringify(source.accept) !== JSON.stringify(item.accept) ||
        JSON.stringify(source.answers.map((answer) => answer.text)) !== JSON.stringify(item.answers)
      );
    });
    expect(differing).toEqual([]);
  });
});

describe("proportionalQuotas", () => {
  it("gives each dataset its share of the total, the largest remainders rounded up", () => {
    // The benchmark's datasets: 844, 3,106, 100, 800 and 3,183 of 8,033 cases; exact shares 105.07, 386.65,
    // 12.45, 99.59 and 396.24 of 1,000, so RAMEDIS (.65) and synthetic-medisearch (.59) get the two left over.
    const sizes = new Map([
      ["PUMCH", 844],
      ["RAMEDIS", 3106],
      ["synthetic-claude", 100],
      ["synthetic-medisearch", 800],
      ["synthetic-gpt4", 3183],
    ]);
    expect(Object.fromEntries(proportionalQuotas(sizes, 1000))).toEqual({
      PUMCH: 105,
      RAMEDIS: 387,
      "synthetic-claude": 12,
      "synthetic-medisearch": 100,
      "synthetic-gpt4": 396,
    });
  });

  it("breaks equal remainders by dataset name", () => {
    const sizes = new Map([
      ["c", 1],
      ["a", 1],
      ["b", 1],
    ]);
    expect(Object.fromEntries(proportionalQuotas(sizes, 2))).toEqual({ a: 1, b: 1, c: 0 });
  });
});

describe("selectSample", () => {
  function testCase(dataset: string, caseId: string, answers: string[]): BenchmarkCase {
    return {
      source: `example@0000000:data/${dataset}.csv`,
      dataset,
      model: "model-a",
      caseId,
      reference: "Down syndrome",
      accept: [],
      answers: answers.map((text, index) => ({ rank: index + 1, text, verdict: null })),
      verdict: { kind: "judge", case: "correct", exactMatch: "correct", label: "P1" },
    };
  }

  const cases = [
    testCase("one", "1", ["Down Syndrome"]),
    testCase("one", "2", ["Down Syndrome"]),
    testCase("one", "3", ["Trisomy 21"]),
    testCase("two", "4", ["Turner syndrome"]),
  ];

  it("skips a list that repeats one already taken and keeps only names", () => {
    const sample = selectSample(cases, 3, 5);
    expect(sample.length).toBe(3);
    const oneLists = sample.filter((item) => item.id.includes("/one.csv")).map((item) => item.answers[0]);
    expect(oneLists.sort()).toEqual(["Down Syndrome", "Trisomy 21"]);
    expect(Object.keys(sample[0]).sort()).toEqual(["accept", "answers", "id", "reference"]);
  });

  it("draws the same sample from the same seed", () => {
    expect(selectSample(cases, 2, 9)).toEqual(selectSample(cases, 2, 9));
  });
});

describe("loadLabels", () => {
  const directory = mkdtempSync(join(tmpdir(), "clinval-labels-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const items: ItemToLabel[] = [
    { id: "a#1", reference: "Down syndrome", accept: [], answers: ["Trisomy 21", "Turner syndrome"] },
    { id: "a#2", reference: "Down syndrome", accept: [], answers: ["Turner syndrome"] },
  ];
  const file = join(directory, "labels.jsonl");

  function thrown(rows: string[]): InputError {
    writeFileSync(file, `${rows.join("\n")}\n`);
    try {
      loadLabels(items, file);
    } catch (error) {
      if (error instanceof InputError) return error;
      throw error;
    }
    throw new Error("no error was raised");
  }

  const first = JSON.stringify({ id: "a#1", label: "correct", rank: 1 });

  it("reads labels that match the items", () => {
    writeFileSync(file, `${first}\n${JSON.stringify({ id: "a#2", label: "incorrect", rank: null })}\n`);
    expect(loadLabels(items, file)).toEqual([
      { id: "a#1", label: "correct", rank: 1 },
      { id: "a#2", label: "incorrect", rank: null },
    ]);
  });

  it("names the line and field of a label that does not fit its item", () => {
    const wrongId = thrown([first, JSON.stringify({ id: "a#3", label: "incorrect", rank: null })]);
    expect(wrongId.location).toEqual({ file, line: 2, field: "id" });
    const rankedBroader = thrown([first, JSON.stringify({ id: "a#2", label: "broader", rank: 1 })]);
    expect(rankedBroader.location).toEqual({ file, line: 2, field: "rank" });
    const beyondList = thrown([first, JSON.stringify({ id: "a#2", label: "correct", rank: 2 })]);
    expect([beyondList.location, beyondList.message]).toEqual([
      { file, line: 2, field: "rank" },
      "the list has only 1 answers",
    ]);
    const unknownLabel = thrown([JSON.stringify({ id: "a#1", label: "partly", rank: null })]);
    expect(unknownLabel.location).toEqual({ file, line: 1, field: "label" });
  });

  it("refuses a missing label and a line that is not JSON", () => {
    expect(thrown([first]).message).toBe("has 1 labels for 2 items");
    expect(thrown([first, "{not json"]).location).toEqual({ file, line: 2 });
  });
});
