/**
 * Machine-readable output (issue 14): `--json` on run, report, models check, suites validate and train, one
 * documented shape each (docs/formats.md), and errors as one JSON object on stderr; with the messages a
 * newcomer needs (an unset API-key variable, --lenient on a triage study).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type OpenAICompatibleServer,
  startOpenAICompatibleServer,
} from "./support/openai-compatible-server.ts";
import { runCli } from "./support/run-cli.ts";

let folder: string;
let server: OpenAICompatibleServer;

const CASES = [
  { id: "c1", presentation: "A 30-year-old with fever and cough.", diagnosis: "Influenza" },
  { id: "c2", presentation: "A 70-year-old with sudden weakness.", diagnosis: "Stroke" },
];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-json-"));
  server = await startOpenAICompatibleServer({
    models: ["model-a"],
    reply: () => ({ content: '{"diagnoses": ["Influenza", "Stroke"]}' }),
  });
  await writeFile(
    join(folder, "cases.jsonl"),
    CASES.map((testCase) => `${JSON.stringify(testCase)}\n`).join(""),
  );
  await writeFile(
    join(folder, "study.yaml"),
    `name: json\ntask: diagnosis\nsuite: { path: ./cases.jsonl }\nmodels:\n  - { id: model-a, provider: openai, baseUrl: "${server.url}", model: model-a, apiKeyEnv: CLINVAL_JSON_TEST_UNSET_KEY }\noutput: ./reports\n`,
  );
});

afterAll(async () => {
  await server.close();
  await rm(folder, { recursive: true, force: true });
});

const store = () => join(folder, "clinval.db");
const study = () => join(folder, "study.yaml");
const warning =
  "warning: model-a: environment variable CLINVAL_JSON_TEST_UNSET_KEY is not set; calling without an API key (a server that needs one answers 401)\n";

describe("--json", () => {
  it("run: the run, its completeness, exit code, files and report; the unset key is a warning", async () => {
    const result = await runCli(["run", study(), "--store", store(), "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(warning);
    const output = JSON.parse(result.stdout);
    const report = JSON.parse(await readFile(join(folder, "reports", "report.json"), "utf8"));
    expect(output).toEqual({
      runId: report.run.id,
      complete: true,
      exitCode: 0,
      files: ["report.json", "report.md", "report.html", "cases.csv"].map((name) =>
        join(folder, "reports", name),
      ),
      report,
    });
    expect(server.requests[0].headers.authorization).toBeUndefined();
  });

  it("report: the same shape, rebuilt from the store", async () => {
    const result = await runCli(["report", "latest", "--store", store(), "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.exitCode).toBe(0);
    expect(output.report).toEqual(JSON.parse(await readFile(join(folder, "reports", "report.json"), "utf8")));
  });

  it("models check: one object per model", async () => {
    const result = await runCli(["models", "check", study(), "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(warning);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        id: "model-a",
        ok: true,
        provider: "openai",
        model: "model-a",
        latencyMs: expect.any(Number),
        answer: '{"diagnoses": ["Influenza", "Stroke"]}',
        reasoning: false,
      },
    ]);
  });

  it("suites validate: the file, its cases, fields and sha256", async () => {
    const result = await runCli(["suites", "validate", join(folder, "cases.jsonl"), "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      file: join(folder, "cases.jsonl"),
      cases: 2,
      fields: ["id", "presentation", "diagnosis"],
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("train: the model file, suite, counts, validation and seed", async () => {
    const reports = join(folder, "reports.csv");
    const rows = Array.from({ length: 30 }, (_, index) => {
      const label = ["negative", "routine", "urgent"][index % 3];
      return `r${index},${label === "urgent" ? "large pneumothorax" : label === "routine" ? "small nodule" : "normal study"} ${index},${label}`;
    });
    await writeFile(reports, `id,text,label\n${rows.join("\n")}\n`);
    const out = join(folder, "tfidf.json");
    const result = await runCli(["train", "tfidf", "--suite", reports, "--out", out, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      kind: "tfidf",
      file: out,
      suite: "reports.csv",
      split: null,
      cases: 30,
      counts: { negative: 10, routine: 10, urgent: 10 },
      validation: expect.objectContaining({ epochs: expect.any(Number) }),
      seed: 1,
      seconds: expect.any(Number),
    });
  });

  it("errors: one JSON object on stderr, with each problem's file, line and field", async () => {
    const bad = join(folder, "bad.jsonl");
    await writeFile(
      bad,
      '{"id": "1", "presentation": "x"}\n{"id": "2", "presentation": "y", "diagnosis": "z"}\n{"id": "2", "presentation": "y", "diagnosis": "z"}\n',
    );
    const result = await runCli(["suites", "validate", bad, "--json"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: "invalid-input",
        message: "2 problems found",
        exitCode: 2,
        problems: [
          { file: bad, line: 1, field: "diagnosis", message: "is missing" },
          { file: bad, line: 3, field: "id", message: 'duplicate case id "2" (first on line 2)' },
        ],
      },
    });
    const unknown = await runCli(["runs", "list", "--store", store(), "--json", "--fast"]);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stderr)).toEqual({
      error: {
        code: "commander.unknownOption",
        message: "unknown option '--fast'",
        exitCode: 2,
        problems: [],
      },
    });
  });
});

describe("--lenient on a triage study", () => {
  it("is refused with exit 2, before anything runs", async () => {
    await writeFile(
      join(folder, "triage.jsonl"),
      '{"id": "t1", "text": "Normal study.", "label": "negative"}\n',
    );
    await writeFile(
      join(folder, "triage.yaml"),
      `name: triage\ntask: triage\nsuite: { path: ./triage.jsonl }\nmodels:\n  - { id: model-a, provider: openai, baseUrl: "${server.url}", model: model-a }\n`,
    );
    const before = server.requests.length;
    expect(await runCli(["run", join(folder, "triage.yaml"), "--store", store(), "--lenient"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "clinval: --lenient: --lenient applies to diagnosis grading (fuzzy name matches); a triage answer is a label and is graded one way\n",
    });
    expect(server.requests.length).toBe(before);
  });
});
