import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeTinyGguf } from "../src/providers/llama-cpp/tiny-gguf.ts";
import { startOpenAICompatibleServer } from "./support/openai-compatible-server.ts";
import { runCli } from "./support/run-cli.ts";

const folder = await mkdtemp(join(tmpdir(), "clinval-commands-"));
afterAll(() => rm(folder, { recursive: true, force: true }));

async function write(name: string, content: string): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, content);
  return path;
}

describe("clinval models check", () => {
  it("reaches each model once, prints its identity and latency, and exits 1 when one does not answer", async () => {
    const server = await startOpenAICompatibleServer({
      models: ["served-model"],
      reply: () => ({ content: "ready" }),
    });
    const gguf = join(folder, "tiny.gguf");
    await writeTinyGguf(gguf, { seed: 3 });
    try {
      const study = await write(
        "check.yaml",
        [
          "name: check",
          "task: diagnosis",
          "suite: { id: dx-core }",
          "models:",
          `  - { id: served, provider: openai, baseUrl: "${server.url}", model: served-model }`,
          "  - { id: local, provider: llama-cpp, model: ./tiny.gguf, params: { maxTokens: 8 } }",
          '  - { id: down, provider: openai, baseUrl: "http://127.0.0.1:9/v1", model: nothing }',
        ].join("\n"),
      );
      const result = await runCli(["models", "check", study]);
      expect(result.code).toBe(1);
      const lines = result.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^ok {4}served: openai served-model · \d+ ms · answered "ready"$/);
      expect(lines[1]).toMatch(
        /^ok {4}local: llama-cpp tiny\.gguf digest [0-9a-f]{19} · \d+ ms · answered ".*"$/,
      );
      expect(lines[2]).toMatch(
        /^FAIL {2}down: openai nothing · connection: could not reach http:\/\/127\.0\.0\.1:9\/v1\/models/,
      );
      expect(server.requests.map((request) => request.messages)).toEqual([
        [{ role: "user", content: "Reply with the single word: ready" }],
      ]);
    } finally {
      await server.close();
    }
  });

  it("checks a model with several endpoints at each of them", async () => {
    const server = await startOpenAICompatibleServer({
      models: ["served-model"],
      reply: () => ({ content: "ready" }),
    });
    try {
      const study = await write(
        "endpoints.yaml",
        [
          "name: endpoints",
          "task: diagnosis",
          "suite: { id: dx-core }",
          "models:",
          "  - id: replicated",
          "    provider: openai",
          "    model: served-model",
          "    endpoints:",
          `      - { baseUrl: "${server.url}", concurrency: 4 }`,
          '      - { baseUrl: "http://127.0.0.1:9/v1" }',
        ].join("\n"),
      );
      const result = await runCli(["models", "check", study]);
      expect(result.code).toBe(1);
      const lines = result.stdout.trim().split("\n");
      expect(lines[0]).toMatch(
        new RegExp(`^ok {4}replicated@${server.url}: openai served-model · \\d+ ms · answered "ready"$`),
      );
      expect(lines[1]).toMatch(
        /^FAIL {2}replicated@http:\/\/127\.0\.0\.1:9\/v1: openai served-model · connection: could not reach/,
      );
    } finally {
      await server.close();
    }
  });
});

describe("clinval suites validate", () => {
  it("counts the cases and names the fields of a valid file, with a field mapping", async () => {
    const file = await write(
      "mine.csv",
      "case_id,text,answer,ward\nk1,Fever and cough,Pneumonia,a\nk2,Headache,Migraine,b\n",
    );
    const result = await runCli([
      "suites",
      "validate",
      file,
      "--fields",
      "id=case_id,presentation=text,diagnosis=answer",
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^${file}: 2 cases, no problems\\nfields: id, presentation, diagnosis, ward\\nsha256: [0-9a-f]{64}\\n$`,
      ),
    );
  });

  it("lists every problem with its line and exits 2", async () => {
    const file = await write(
      "bad.jsonl",
      [
        JSON.stringify({ id: "1", text: "CT head: normal.", label: "negative" }),
        JSON.stringify({ id: "1", text: "CT chest: embolus.", label: "urgent" }),
        JSON.stringify({ id: "3", text: "", label: "routine" }),
      ].join("\n"),
    );
    const result = await runCli(["suites", "validate", file, "--task", "triage"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `clinval: ${file}:2: id: duplicate case id "1" (first on line 1)\n${file}:3: text: must be a non-empty string\n`,
    );
  });

  it("says once that the cases belong to another design, instead of a problem per case", async () => {
    const file = await write(
      "reports.jsonl",
      [
        JSON.stringify({ id: "r1", text: "CT head: normal.", label: "negative" }),
        JSON.stringify({ id: "r2", text: "CT chest: embolus.", label: "urgent" }),
      ].join("\n"),
    );
    expect(await runCli(["suites", "validate", file])).toEqual({
      code: 2,
      stdout: "",
      stderr: `clinval: ${file}: these are triage cases (text, label), not diagnosis cases: add --task triage\n`,
    });
  });

  it("reads a semicolon- or tab-separated CSV as spreadsheets save it", async () => {
    for (const [name, separator] of [
      ["semicolons.csv", ";"],
      ["tabs.csv", "\t"],
    ]) {
      const rows = [
        ["id", "presentation", "diagnosis"],
        ["k1", "Fever, cough", "Pneumonia"],
        ["k2", "Headache", "Migraine"],
      ];
      const file = await write(name, `${rows.map((row) => row.join(separator)).join("\n")}\n`);
      const result = await runCli(["suites", "validate", file]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(
        new RegExp(`^${file}: 2 cases, no problems\\nfields: id, presentation, diagnosis\\n`),
      );
    }
  });

  it("takes the id of a built-in suite", async () => {
    const result = await runCli(["suites", "validate", "ct-triage", "--task", "triage"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/suites\/ct-triage\/2\/cases\.jsonl: 630 cases, no problems\n/);
  });

  it("refuses an unknown task", async () => {
    const result = await runCli(["suites", "validate", join(folder, "bad.jsonl"), "--task", "coding"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('clinval: --task: unknown task "coding" (diagnosis, triage)\n');
  });
});

describe("clinval suites audit", () => {
  const clean = {
    id: "c1",
    presentation:
      "A 52-year-old woman has had right upper abdominal pain and a temperature of 38.2 °C for two days.",
    diagnosis: "Acute cholecystitis",
    redFlags: ["temperature of 38.2 °C"],
  };
  const givenAway = {
    id: "c2",
    presentation: "A 70-year-old man with two days of confusion. Urine porphobilinogen is raised.",
    diagnosis: "Acute intermittent porphyria",
  };

  it("prints the counts per check and passes a suite within its limits", async () => {
    const file = await write("audit-clean.jsonl", `${JSON.stringify(clean)}\n`);
    const result = await runCli(["suites", "audit", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        "audit-clean.jsonl: 1 cases audited, 0 with a mimic",
        "  giveaway           0 findings in 0 cases (limit 0)",
        "  leak               0 findings in 0 cases (limit 0)",
        "  red-flag           0 findings in 0 cases (limit 0)",
        "  label              0 findings in 0 cases (limit 0)",
        "  near-duplicate     0 findings in 0 cases (limit 0)",
        "  most similar pair: none",
        "passed",
        "",
      ].join("\n"),
    );
  });

  it("exits 1 when a check exceeds its limit, and 0 when --max allows it", async () => {
    const file = await write(
      "audit-giveaway.jsonl",
      [clean, givenAway].map((c) => JSON.stringify(c)).join("\n"),
    );
    const failed = await runCli(["suites", "audit", file, "--json"]);
    expect(failed.code).toBe(1);
    const audit = JSON.parse(failed.stdout);
    expect(audit.findings).toEqual([
      { check: "giveaway", case: "c2", detail: '"porphobilinogen" (targeted-endocrine)' },
    ]);
    expect(audit.exceeded).toEqual(["giveaway"]);
    const allowed = await runCli(["suites", "audit", file, "--max", "giveaway=1"]);
    expect(allowed.code).toBe(0);
  });

  it("audits a built-in suite by id and refuses bad limits with exit 2", async () => {
    const builtin = await runCli([
      "suites",
      "audit",
      "dx-core@1",
      "--max",
      "giveaway=100,label=100",
      "--json",
    ]);
    expect(builtin.code).toBe(0);
    expect(JSON.parse(builtin.stdout).suite.id).toBe("dx-core");
    const bad = await runCli(["suites", "audit", "dx-core@1", "--max", "giveaway=-1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('clinval: --max: "giveaway=-1": the count must be a whole number ≥ 0\n');
    const unknown = await runCli(["suites", "audit", "dx-core@9"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^clinval: suite\.id: unknown built-in suite "dx-core@9": dx-core has no version 9/,
    );
  });
});

describe("clinval runs list", () => {
  it("says when the store has no runs", async () => {
    const store = join(folder, "empty", "clinval.db");
    const result = await runCli(["runs", "list", "--store", store]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`No runs: there is no store at ${store}.\n`);
    expect(existsSync(join(folder, "empty"))).toBe(false);
    expect((await runCli(["runs", "list", "--store", store, "--json"])).stdout).toBe("[]\n");
    const report = await runCli(["report", "latest", "--store", store]);
    expect(report).toEqual({
      code: 1,
      stdout: "",
      stderr: `clinval: there is no store at ${store}: run a study first (clinval run STUDY), or name the store with --store\n`,
    });
    expect(existsSync(join(folder, "empty"))).toBe(false);
  });
});
