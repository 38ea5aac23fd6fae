import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import {
  LABELS,
  type SyntheticReport,
  startFakeEmbeddingServer,
  syntheticReports,
} from "../../classifiers/classifier.test-support.ts";
import { type ClassifierFile, readClassifierFile } from "../../classifiers/model-file.ts";
import { InputError } from "../../core/errors.ts";
import { modelSpecSchema } from "../../core/study-schema.ts";
import { createClassifierProvider } from "../../providers/classifier/classifier-provider.ts";
import { writeTinyGguf } from "../../providers/llama-cpp/tiny-gguf.ts";
import { builtinSuitePath } from "../../suites/builtin-suites.ts";
import { register } from "./train.ts";

interface Run {
  /** What the command threw (the CLI prints an InputError's `describe()` and exits 2). */
  error: unknown;
  stdout: string;
  stderr: string;
}

/** Runs `clinval train …` in-process, recording stdout and stderr. */
async function train(...args: string[]): Promise<Run> {
  const program = new Command("clinval")
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const originalOut = process.stdout.write;
  const originalError = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) =>
    stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) =>
    stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  let error: unknown;
  try {
    await program.parseAsync(["train", ...args], { from: "user" });
  } catch (thrown) {
    error = thrown;
  } finally {
    process.stdout.write = originalOut;
    process.stderr.write = originalError;
  }
  return { error, stdout: stdout.join(""), stderr: stderr.join("") };
}

/** The InputError a run ended with, as the CLI prints it. */
function inputError(run: Run): string {
  if (!(run.error instanceof InputError)) throw new Error(`expected an InputError, got ${String(run.error)}`);
  return run.error.describe();
}

const folder = mkdtempSync(join(tmpdir(), "clinval-train-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function jsonl(name: string, cases: readonly object[]): string {
  const path = join(folder, name);
  writeFileSync(path, cases.map((testCase) => JSON.stringify(testCase)).join("\n"));
  return path;
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A hospital's own export: accession number, report text and a severity column. */
function userCsv(name: string, reports: SyntheticReport[], severity: (label: string) => string): string {
  const path = join(folder, name);
  const rows = reports.map((report) =>
    [report.id, report.text, severity(report.label)].map(csvCell).join(","),
  );
  writeFileSync(path, ["accession,report_text,severity", ...rows].join("\n"));
  return path;
}

function modelFile(path: string): ClassifierFile {
  return readClassifierFile(path).file;
}

async function classify(path: string, labels: string[], texts: string[]): Promise<string[]> {
  const provider = createClassifierProvider(
    modelSpecSchema.parse({ id: "c", provider: "classifier", model: path }),
    {
      labels,
    },
  );
  try {
    const completions = await Promise.all(
      texts.map((input) =>
        provider.complete({ messages: [], params: {}, input, signal: new AbortController().signal }),
      ),
    );
    return completions.map((completion) => (JSON.parse(completion.text) as { label: string }).label);
  } finally {
    await provider.close();
  }
}

describe("clinval train tfidf", () => {
  it("trains on a user's CSV mapped with --fields and a label set of their own", async () => {
    const names: Record<string, string> = { negative: "none", routine: "soon", urgent: "today" };
    const path = userCsv("export.csv", syntheticReports(120, 1), (label) => names[label]);
    const out = join(folder, "models", "site-tfidf.json");
    const run = await train(
      "tfidf",
      "--suite",
      path,
      "--fields",
      "id=accession,text=report_text,label=severity",
      "--labels",
      "none,soon,today",
      "--seed",
      "5",
      "--out",
      out,
    );
    expect(run.error).toBeUndefined();
    const file = modelFile(out);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("trained tfidf classifier on 120 cases of export.csv: none 40, soon 40, today 40");
    expect(lines[1]).toMatch(/^features: \d+ \(\d+ word n-grams, \d+ character n-grams\)$/);
    expect(lines[2]).toBe(
      `validation: 18 cases, accuracy ${file.training.validationAccuracy?.toFixed(4)} at epoch ${file.training.bestEpoch} of ${file.training.epochs}`,
    );
    expect(lines[3]).toMatch(/^seed 5, \d+\.\d s$/);
    expect(lines[4]).toBe(`written: ${out}`);
    expect(run.stderr.split("\n")[0]).toMatch(
      /^epoch {2}1\/60 {2}loss \d\.\d{4} {2}validation accuracy \d\.\d{4} loss \d\.\d{4} {2}\*$/,
    );
    expect(run.stderr.split("\n").filter((line) => line.startsWith("epoch"))).toHaveLength(
      file.training.epochs,
    );
    expect({ labels: file.labels, split: file.training.split, fields: file.training.fields }).toEqual({
      labels: ["none", "soon", "today"],
      split: null,
      fields: { id: "accession", text: "report_text", label: "severity" },
    });

    const heldOut = syntheticReports(30, 2);
    const predicted = await classify(
      out,
      ["today", "soon", "none"],
      heldOut.map((report) => report.text),
    );
    const correct = predicted.filter((label, index) => label === names[heldOut[index].label]).length;
    expect(correct / heldOut.length).toBeGreaterThanOrEqual(0.95);
  });

  it("trains on the train split of the built-in ct-triage suite by default", async () => {
    const out = join(folder, "ct-triage-tfidf.json");
    const run = await train("tfidf", "--suite", "ct-triage", "--out", out);
    expect(run.error).toBeUndefined();
    const cases = readFileSync(builtinSuitePath("ct-triage"), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as { label: string; split: string })
      .filter((testCase) => testCase.split === "train");
    const counts = LABELS.map(
      (label) => `${label} ${cases.filter((testCase) => testCase.label === label).length}`,
    );
    expect(run.stderr.split("\n")[0]).toBe(
      'training on split "train" (the cases have a split field; --split chooses another)',
    );
    expect(run.stdout.split("\n")[0]).toBe(
      `trained tfidf classifier on ${cases.length} cases of ct-triage@2 (split train): ${counts.join(", ")}`,
    );
    expect(modelFile(out).training.suite.id).toBe("ct-triage@2");
  });
});

describe("clinval train: bad input", () => {
  const reports = syntheticReports(12, 1);
  const out = join(folder, "never-written.json");

  it("names the case whose label is not in --labels, and its line", async () => {
    const path = jsonl("odd-label.jsonl", [
      ...reports,
      { id: "ct-99", text: "CT head normal.", label: "critical" },
    ]);
    expect(inputError(await train("tfidf", "--suite", path, "--out", out))).toBe(
      `${path}:13: label: case "ct-99": label "critical" is not one of negative, routine, urgent (give the label set with --labels, least to most severe)`,
    );
  });

  it("refuses a class absent from the training split", async () => {
    const path = jsonl("no-urgent.jsonl", [
      ...reports.map((report) => ({ ...report, split: report.label === "urgent" ? "test" : "train" })),
    ]);
    expect(inputError(await train("tfidf", "--suite", path, "--split", "train", "--out", out))).toBe(
      `${path}: label: label "urgent" has no case in split "train": a classifier cannot learn a class it never sees`,
    );
  });

  it("refuses an empty report text, with its line", async () => {
    const path = jsonl("empty-text.jsonl", [...reports, { id: "blank", text: "   ", label: "routine" }]);
    expect(inputError(await train("tfidf", "--suite", path, "--out", out))).toBe(
      `${path}:13: text: must be a non-empty string`,
    );
  });

  it("refuses a split without cases", async () => {
    const path = jsonl(
      "all-test.jsonl",
      reports.map((report) => ({ ...report, split: "test" })),
    );
    expect(inputError(await train("tfidf", "--suite", path, "--split", "train", "--out", out))).toBe(
      `${path}: split: no case has split "train"`,
    );
    expect(inputError(await train("tfidf", "--suite", path, "--out", out))).toBe(
      `${path}: split: no cases to train on in split "train"`,
    );
  });

  it("refuses an unknown suite, a bad seed and an embedder that does not exist", async () => {
    expect(inputError(await train("tfidf", "--suite", "no-such-suite", "--out", out))).toMatch(
      /^suite\.id: unknown built-in suite "no-such-suite" \(built-in: /,
    );
    const path = jsonl("fine.jsonl", reports);
    expect(inputError(await train("tfidf", "--suite", path, "--seed", "1.5", "--out", out))).toBe(
      '--seed: must be a whole number, not "1.5"',
    );
    expect(
      inputError(
        await train("probe", "--suite", path, "--embedder", join(folder, "none.gguf"), "--out", out),
      ),
    ).toMatch(/^--embedder: ".*none\.gguf" is neither a GGUF file/);
  });

  it("a model file of another label set is refused at study time", async () => {
    const path = jsonl(
      "two-labels.jsonl",
      reports.map((report) => ({ ...report, label: report.label === "urgent" ? "yes" : "no" })),
    );
    const model = join(folder, "two-labels.json");
    expect(
      (await train("tfidf", "--suite", path, "--labels", "no,yes", "--out", model)).error,
    ).toBeUndefined();
    const error = await classify(model, LABELS, ["x"]).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).describe()).toBe(
      `${model}: labels: the classifier two-labels.json was trained on the labels no, yes, but the study's labels are negative, routine, urgent; use a classifier trained on the study's label set (clinval train … --labels)`,
    );
  });
});

describe("clinval train probe", () => {
  it("embeds through an Ollama server once, then trains again from the store's cache", async () => {
    const server = await startFakeEmbeddingServer();
    try {
      const path = jsonl("probe.jsonl", syntheticReports(60, 1));
      const store = join(folder, "store", "clinval.db");
      const args = [
        "--suite",
        path,
        "--embedder",
        "ollama:fake-embed",
        "--base-url",
        server.origin,
        "--store",
        store,
      ];
      const first = await train("probe", ...args, "--out", join(folder, "probe-1.json"));
      expect(first.error).toBeUndefined();
      expect(first.stdout.split("\n")[1]).toBe(
        `embedder: ollama:fake-embed at ${server.origin}, 12 dimensions; 60 distinct texts, 0 from the cache`,
      );
      const embedRequests = () => server.requests.filter((request) => request.path === "/api/embed").length;
      expect(embedRequests()).toBe(2);

      const second = await train("probe", ...args, "--out", join(folder, "probe-2.json"));
      expect(second.stdout.split("\n")[1]).toBe(
        `embedder: ollama:fake-embed at ${server.origin}, 12 dimensions; 60 distinct texts, 60 from the cache`,
      );
      expect(embedRequests()).toBe(2);
      const withoutTime = (file: ClassifierFile) => ({
        ...file,
        training: { ...file.training, createdAt: "" },
      });
      expect(withoutTime(modelFile(join(folder, "probe-2.json")))).toEqual(
        withoutTime(modelFile(join(folder, "probe-1.json"))),
      );
    } finally {
      await server.close();
    }
  });

  it("ends with the server's message when embedding fails", async () => {
    const server = await startFakeEmbeddingServer({ status: 500 });
    try {
      const path = jsonl("probe-fails.jsonl", syntheticReports(9, 1));
      const run = await train(
        "probe",
        ...["--suite", path, "--embedder", "ollama:fake-embed", "--base-url", server.origin, "--no-cache"],
        ...["--out", join(folder, "probe-fails.json")],
      );
      expect((run.error as Error).message).toBe(
        `embedding with ollama:fake-embed at ${server.origin} failed: HTTP 500 from ${server.origin}/api/embed: the embedding model is not loaded`,
      );
    } finally {
      await server.close();
    }
  });

  it("trains end to end with a GGUF file as embedder and the model file classifies through the provider", async () => {
    const gguf = join(folder, "models", "tiny.gguf");
    await writeTinyGguf(gguf);
    const path = jsonl("probe-gguf.jsonl", syntheticReports(30, 1));
    const out = join(folder, "models", "probe-gguf.json");
    const run = await train(
      "probe",
      "--suite",
      path,
      "--embedder",
      gguf,
      "--no-cache",
      "--max-epochs",
      "3",
      "--out",
      out,
    );
    expect(run.error).toBeUndefined();
    const file = modelFile(out);
    expect(
      file.features.kind === "embedding" && {
        embedder: file.features.embedder,
        dimensions: file.features.dimensions,
      },
    ).toEqual({
      embedder: { kind: "gguf", path: "tiny.gguf" },
      dimensions: 64,
    });
    const labels = await classify(out, LABELS, ["CT head: acute subdural haematoma.", "Normal study."]);
    expect(labels.every((label) => LABELS.includes(label))).toBe(true);
  });
});
