import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InputError } from "../core/errors.ts";
import { loadStudy } from "./load-study.ts";
import { openStudy } from "./open-study.ts";

const directory = mkdtempSync(join(tmpdir(), "clinval-study-"));
mkdirSync(join(directory, "models"));
writeFileSync(join(directory, "models", "qwen.gguf"), "GGUF\u0003\u0000\u0000\u0000");
function write(name: string, content: string | Buffer): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}
async function problems(path: string): Promise<string> {
  const error = (await loadStudy(path).catch((caught: unknown) => caught)) as InputError;
  return error.describe();
}

const valid = `name: r1-vs-llama
task: diagnosis
suite:
  path: ./cases.jsonl
models:
  - id: r1-8b
    provider: ollama
    model: deepseek-r1:8b
  - id: local
    provider: llama-cpp
    model: ./models/qwen.gguf
alpha: 0.01
`;

describe("loadStudy", () => {
  it("fills defaults and resolves paths against the study file", async () => {
    const study = await loadStudy(write("study.yaml", valid));
    expect(study).toEqual({
      name: "r1-vs-llama",
      task: "diagnosis",
      file: join(directory, "study.yaml"),
      maxAnswerChars: 1_000_000,
      suite: { path: join(directory, "cases.jsonl") },
      models: [
        {
          id: "r1-8b",
          provider: "ollama",
          model: "deepseek-r1:8b",
          concurrency: 1,
          timeoutMs: 300000,
          retries: 4,
          params: {},
          lora: undefined,
        },
        {
          id: "local",
          provider: "llama-cpp",
          model: join(directory, "models", "qwen.gguf"),
          concurrency: 1,
          timeoutMs: 300000,
          retries: 4,
          params: {},
          lora: undefined,
        },
      ],
      topK: 5,
      alpha: 0.01,
      adjust: "holm",
      subgroups: [],
      primarySubgroups: [],
      samples: 1,
      output: join(directory, "reports"),
      prompt: undefined,
      labels: undefined,
    });
  });

  it("reads declared comparisons, the adjustment, the confidence level and declared subgroup fields", async () => {
    const study = await loadStudy(
      write(
        "declared.yaml",
        `${valid}compare:\n  - { a: r1-8b, b: local, primary: true }\n  - [local, r1-8b]\nadjust: hochberg\n` +
          "confidence: 0.95\nsubgroups: [incidence, specialty]\nprimarySubgroups: [incidence]\n",
      ),
    );
    expect({
      compare: study.compare,
      adjust: study.adjust,
      confidence: study.confidence,
      primarySubgroups: study.primarySubgroups,
    }).toEqual({
      compare: [{ a: "r1-8b", b: "local", primary: true }, ["local", "r1-8b"]],
      adjust: "hochberg",
      confidence: 0.95,
      primarySubgroups: ["incidence"],
    });
  });

  it("names the line of a bad declaration", async () => {
    const threshold = write("bad-threshold.yaml", `${valid}threshold: 0.3\n`);
    expect(await problems(threshold)).toBe(
      `${threshold}:13: threshold: a threshold belongs to triage studies, not to a diagnosis study`,
    );
    const adjust = write("bad-adjust.yaml", `${valid}adjust: tukey\n`);
    expect(await problems(adjust)).toBe(
      `${adjust}:13: adjust: Invalid option: expected one of "holm"|"bonferroni"|"bh"|"hochberg"|"by"`,
    );
    const path = write(
      "bad-declared.yaml",
      `${valid}compare:\n  - { a: r1-8b, b: gpt, primary: true }\nprimarySubgroups: [incidence]\n`,
    );
    expect(await problems(path)).toBe(
      [
        `${path}:14: compare.0.b: unknown model id "gpt"`,
        `${path}:15: primarySubgroups.0: "incidence" is not one of the study's subgroups`,
      ].join("\n"),
    );
  });

  it("gives triage studies the default label set", async () => {
    const study = await loadStudy(write("triage.yaml", valid.replace("task: diagnosis", "task: triage")));
    expect(study.labels).toEqual(["negative", "routine", "urgent"]);
  });

  it("names file, line and field of each problem", async () => {
    const path = write(
      "bad.yaml",
      valid
        .replace("    model: deepseek-r1:8b\n", "    modle: deepseek-r1:8b\n")
        .replace("alpha: 0.01", "alpha: 2"),
    );
    expect(await problems(path)).toBe(
      [
        `${path}:6: models.0.model: is required (string)`,
        `${path}:8: models.0: unknown key "modle" (did you mean "model"?)`,
        `${path}:12: alpha: Too big: expected number to be <1`,
      ].join("\n"),
    );
  });

  it("rejects invalid YAML, a missing model id, duplicate ids and a non-UTF-8 file", async () => {
    expect(await problems(write("syntax.yaml", "name: [unclosed\n"))).toMatch(/syntax\.yaml:\d+: /);
    expect(await problems(write("noid.yaml", valid.replace("  - id: local\n", "  - \n")))).toContain(
      "models.1.id: is required (string)",
    );
    expect(await problems(write("dup.yaml", valid.replace("id: local", "id: r1-8b")))).toBe(
      `${join(directory, "dup.yaml")}:9: models.1.id: duplicate model id "r1-8b" (also models.0)`,
    );
    expect(await problems(write("compare.yaml", `${valid}compare: [[r1-8b, gpt]]\n`))).toBe(
      `${join(directory, "compare.yaml")}:13: compare.0.1: unknown model id "gpt"`,
    );
    expect(await problems(write("latin.yaml", Buffer.from("name: caf\xe9\n", "latin1")))).toBe(
      `${join(directory, "latin.yaml")}:1: not valid UTF-8; save the study file as UTF-8`,
    );
  });

  it("refuses, at the line that names it, what would only fail once models are called", async () => {
    writeFileSync(join(directory, "models", "notes.gguf"), "not a model");
    writeFileSync(join(directory, "a-file"), "x");
    // openStudy: the files are checked when the study is opened for a run, after the schema.
    const at = async (name: string, text: string) =>
      ((await openStudy(write(name, text)).catch((caught: unknown) => caught)) as InputError).describe();
    const file = (name: string) => join(directory, name);
    expect(
      await at(
        "scheme.yaml",
        valid.replace("provider: ollama", "provider: ollama\n    baseUrl: file:///etc/passwd"),
      ),
    ).toBe(`${file("scheme.yaml")}:8: models.0.baseUrl: must be an http:// or https:// URL`);
    expect(
      await at(
        "script.yaml",
        valid.replace("provider: ollama", "provider: ollama\n    baseUrl: javascript:alert(1)"),
      ),
    ).toBe(`${file("script.yaml")}:8: models.0.baseUrl: must be an http:// or https:// URL`);
    expect(
      await at(
        "endpoint-scheme.yaml",
        valid.replace(
          "provider: ollama",
          "provider: ollama\n    endpoints:\n      - { baseUrl: http://10.0.0.1:11434 }\n      - { baseUrl: ftp://10.0.0.2 }",
        ),
      ),
    ).toBe(
      `${file("endpoint-scheme.yaml")}:10: models.0.endpoints.1.baseUrl: must be an http:// or https:// URL`,
    );
    expect(
      await at(
        "endpoint-concurrency.yaml",
        valid.replace(
          "provider: ollama",
          "provider: ollama\n    endpoints:\n      - { baseUrl: http://10.0.0.1:11434, concurrency: 0 }",
        ),
      ),
    ).toBe(
      `${file("endpoint-concurrency.yaml")}:9: models.0.endpoints.0.concurrency: Too small: expected number to be >=1`,
    );
    expect(
      await at(
        "endpoint-both.yaml",
        valid.replace(
          "provider: ollama",
          "provider: ollama\n    baseUrl: http://10.0.0.3:11434\n    endpoints:\n      - { baseUrl: http://10.0.0.1:11434 }",
        ),
      ),
    ).toBe(
      `${file("endpoint-both.yaml")}:10: models.0.endpoints: give either \`baseUrl\` or \`endpoints\`, not both`,
    );
    expect(
      await at(
        "endpoint-provider.yaml",
        valid.replace(
          "model: ./models/qwen.gguf",
          "model: ./models/qwen.gguf\n    endpoints:\n      - { baseUrl: http://10.0.0.1:8000 }",
        ),
      ),
    ).toBe(
      `${file("endpoint-provider.yaml")}:13: models.1.endpoints: only for provider openai or ollama, not llama-cpp`,
    );
    expect(await at("self.yaml", `${valid}compare: [[r1-8b, r1-8b]]\n`)).toBe(
      `${file("self.yaml")}:13: compare.0: compares "r1-8b" with itself; a comparison needs two different models`,
    );
    expect(await at("labels.yaml", `${valid}labels: [low, high]\n`)).toBe(
      `${file("labels.yaml")}:13: labels: labels belong to triage studies, not to a diagnosis study`,
    );
    expect(
      await at("lora.yaml", valid.replace("provider: ollama", "provider: ollama\n    lora: [./a.gguf]")),
    ).toBe(`${file("lora.yaml")}:8: models.0.lora: only for provider llama-cpp, not ollama`);
    expect(await at("missing.yaml", valid.replace("qwen.gguf", "absent.gguf"))).toBe(
      `${file("missing.yaml")}:11: models.1.model: no GGUF model file at ${file("models/absent.gguf")}`,
    );
    expect(await at("magic.yaml", valid.replace("qwen.gguf", "notes.gguf"))).toBe(
      `${file("magic.yaml")}:11: models.1.model: ${file("models/notes.gguf")} is not a GGUF file (it does not begin with "GGUF"); give a .gguf GGUF model`,
    );
    expect(
      await at(
        "classifier.yaml",
        valid.replace(
          "provider: llama-cpp\n    model: ./models/qwen.gguf",
          "provider: classifier\n    model: ./probe.json",
        ),
      ),
    ).toBe(
      `${file("classifier.yaml")}:11: models.1.model: no classifier file at ${file("probe.json")}: train one with \`clinval train tfidf --suite CASES --out ${file("probe.json")}\` (or \`clinval train probe\`)`,
    );
    expect(await at("output.yaml", `${valid}output: ./a-file\n`)).toBe(
      `${file("output.yaml")}:13: output: ${file("a-file")} is a file, not a folder for the reports`,
    );
    expect(await at("below.yaml", `${valid}output: ./a-file/reports\n`)).toBe(
      `${file("below.yaml")}:13: output: ${file("a-file/reports")} cannot be created: ${file("a-file")} is a file`,
    );
  });

  it("refuses a YAML alias bomb and an oversized study file without a stack trace", async () => {
    const bomb = [
      "name: &a [x, x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
    ].join("\n");
    expect(await problems(write("bomb.yaml", bomb))).toBe(
      `${join(directory, "bomb.yaml")}: too many YAML aliases (more than 100 expansions); write the study out without them`,
    );
    expect(await problems(write("huge.yaml", `${valid}# ${"x".repeat(1024 * 1024)}\n`))).toMatch(
      /huge\.yaml: is \d+ characters long; a study file is at most 1048576$/,
    );
  });
});

describe("loadStudy with terminology overlays", () => {
  it("resolves overlay paths against the study file and applies them before any model is called", async () => {
    write("site-terms.yaml", "terms:\n  - concept: appendicitis\n    synonyms: [Appy]\n");
    const study = await loadStudy(write("overlay.yaml", `${valid}terminology: [./site-terms.yaml]\n`));
    expect(study.terminology).toEqual([join(directory, "site-terms.yaml")]);
  });

  it("refuses a missing overlay at the study's line, a bad one at its own line, and overlays on triage", async () => {
    expect(await problems(write("missing.yaml", `${valid}terminology:\n  - ./nowhere.yaml\n`))).toBe(
      `${join(directory, "missing.yaml")}:14: terminology.0: terminology overlay not found: ${join(directory, "nowhere.yaml")}`,
    );
    write("bad-terms.yaml", "terms:\n  - concept: appendicitis\n  - concept: no such disease at all\n");
    expect(await problems(write("bad.yaml", `${valid}terminology: [./bad-terms.yaml]\n`))).toBe(
      `${join(directory, "bad-terms.yaml")}:3: terms.1.concept: no concept is called "no such disease at all"`,
    );
    const triage = valid.replace("task: diagnosis", "task: triage");
    expect(await problems(write("triage-terms.yaml", `${triage}terminology: [./site-terms.yaml]\n`))).toBe(
      `${join(directory, "triage-terms.yaml")}:13: terminology: terminology overlays are only used by diagnosis studies`,
    );
  });
});
