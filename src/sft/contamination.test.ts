import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinSuitePath } from "../suites/builtin-suites.ts";
import * as diagnosisPrompt from "../tasks/diagnosis/prompt.ts";
import { findContamination, normaliseText } from "./contamination.ts";
import { runSft } from "./sft-command.test-support.ts";

const FIXTURES = join(import.meta.dirname, "fixtures");
const directory = mkdtempSync(join(tmpdir(), "clinval-sft-check-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const dxCore = readFileSync(builtinSuitePath("dx-core@1"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as { id: string; presentation: string; diagnosis: string });
const dx001 = dxCore.find((testCase) => testCase.id === "dx-001")?.presentation as string;

/** dx-002 told again in other words: sentences reordered and rephrased, the findings kept. */
const DX_002_PARAPHRASE =
  "A woman of 58 arrives at the emergency department by ambulance, 50 minutes after heavy central chest pressure " +
  "woke her from sleep; she has nausea, vomiting and sweating, and the pain spreads to her jaw. Her history " +
  "includes hypertension and high cholesterol; she stopped her statin a year ago because of muscle aches, and she " +
  "had an upset stomach two days ago after eating at a restaurant. Pulse is 48/min and regular, blood pressure " +
  "96/60 mmHg, respiratory rate 20/min, oxygen saturation 96% on room air and temperature 36.6 °C. She looks pale " +
  "and clammy with a raised jugular venous pressure; the heart sounds are normal without murmur and the lung " +
  "fields are clear. The radial pulses are equal and the epigastrium is mildly tender without guarding. On the " +
  "12-lead ECG there is sinus bradycardia with 2–3 mm ST-segment elevation in leads II, III and aVF and " +
  "reciprocal ST depression in I and aVL, and the troponin is pending.";

function chatLine(user: string, assistant: string): string {
  return JSON.stringify({
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: assistant },
    ],
  });
}

async function prepareClean(): Promise<string> {
  const out = join(directory, "clean");
  const run = await runSft(
    "prepare",
    "--reasoning",
    join(FIXTURES, "medical-o1-sample.json"),
    "--reports",
    join(FIXTURES, "hospital-reports.csv"),
    "--fields",
    "text=report_text,label=severity",
    "--out",
    out,
  );
  expect(run.error).toBeUndefined();
  return out;
}

describe("findContamination", () => {
  it("normalises case, punctuation and Unicode forms before comparing", () => {
    expect(normaliseText("  Pulse 104/min — Temperature 38.9\u00a0°C; ＣＴ ")).toBe(
      "pulse 104 min temperature 38 9 c ct",
    );
  });

  it("flags an exact copy inside a prompt template and a paraphrase, and nothing else", () => {
    const training = [
      { origin: "a:1", text: diagnosisPrompt.defaultUserPrompt(dx001, 5) },
      { origin: "a:2", text: DX_002_PARAPHRASE },
      {
        origin: "a:3",
        text: "A 45-year-old man develops sudden severe pain of the first metatarsophalangeal joint.",
      },
    ];
    const evaluation = dxCore.map((testCase) => ({
      suite: "dx-core",
      caseId: testCase.id,
      text: testCase.presentation,
    }));
    const pairs = findContamination(evaluation, training);
    expect(pairs.map(({ caseId, origin, kinds }) => ({ caseId, origin, kinds }))).toEqual([
      { caseId: "dx-001", origin: "a:1", kinds: ["exact", "ngram", "near-duplicate"] },
      { caseId: "dx-002", origin: "a:2", kinds: ["near-duplicate"] },
    ]);
    expect(pairs[0]).toEqual(expect.objectContaining({ ngramOverlap: 1 }));
    expect(pairs[1].ngramOverlap).toBeLessThan(0.5);
    expect(pairs[1].similarity).toBeGreaterThanOrEqual(0.5);
  });
});

describe("sft check", () => {
  it("passes clean training data against the built-in suites", async () => {
    const clean = await prepareClean();
    const run = await runSft("check", join(clean, "train.jsonl"), join(clean, "validation.jsonl"));
    expect(run.error).toBeUndefined();
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(
      [
        "checked 18 training examples against 892 evaluation cases",
        "ct-triage@2 (built-in): 0 of 206 cases found in the training files (0.0%)",
        "ct-triage (built-in): 0 of 206 cases found in the training files (0.0%)",
        "dx-core@2 (built-in): 0 of 300 cases found in the training files (0.0%)",
        "dx-core-zh (built-in): 0 of 60 cases found in the training files (0.0%)",
        "dx-core (built-in): 0 of 120 cases found in the training files (0.0%)",
        "",
      ].join("\n"),
    );
  });

  it("lists a planted exact copy and paraphrase, exits 1 above --max-overlap, and prepare --exclude-suite drops them", async () => {
    const clean = await prepareClean();
    const planted = join(directory, "planted.jsonl");
    const cleanLines = readFileSync(join(clean, "train.jsonl"), "utf8");
    writeFileSync(
      planted,
      `${cleanLines}${chatLine(diagnosisPrompt.defaultUserPrompt(dx001, 5), '{"diagnoses":["Pneumonia"]}')}\n${chatLine(DX_002_PARAPHRASE, "Inferior STEMI")}\n`,
    );
    const report = join(directory, "pairs.json");
    const run = await runSft("check", planted, "--suite", "dx-core@1", "--no-builtin", "--json", report);
    expect(run.exitCode).toBe(1);
    const lines = run.stdout.split("\n");
    expect(lines.slice(0, 2)).toEqual([
      "checked 16 training examples against 120 evaluation cases",
      "dx-core (--suite): 2 of 120 cases found in the training files (1.7%), above --max-overlap 0",
    ]);
    const written = JSON.parse(readFileSync(report, "utf8"));
    expect(
      written.pairs.map((pair: { caseId: string; origin: string }) => [pair.caseId, pair.origin]),
    ).toEqual([
      ["dx-001", `${planted}:15`],
      ["dx-002", `${planted}:16`],
    ]);
    expect(lines[2]).toMatch(
      new RegExp(
        `^  dx-core dx-001 <- ${planted}:15: exact, ngram, near-duplicate \\(n-gram overlap 1, shingle containment `,
      ),
    );

    const allowed = await runSft(
      "check",
      planted,
      "--suite",
      "dx-core@1",
      "--no-builtin",
      "--max-overlap",
      "0.02",
    );
    expect(allowed.exitCode).toBe(0);

    const sourceFile = join(directory, "with-copies.jsonl");
    const rows = JSON.parse(readFileSync(join(FIXTURES, "medical-o1-sample.json"), "utf8"));
    rows.push({ Question: dx001, Complex_CoT: "Lobar consolidation with fever.", Response: "Pneumonia" });
    rows.push({
      Question: DX_002_PARAPHRASE,
      Complex_CoT: "Inferior ST elevation.",
      Response: "Inferior STEMI",
    });
    writeFileSync(sourceFile, `${rows.map((row: object) => JSON.stringify(row)).join("\n")}\n`);
    const out = join(directory, "excluded");
    const prepared = await runSft(
      "prepare",
      "--reasoning",
      sourceFile,
      "--exclude-suite",
      "dx-core@1",
      "--out",
      out,
    );
    expect(prepared.error).toBeUndefined();
    const card = JSON.parse(readFileSync(join(out, "data-card.json"), "utf8"));
    expect(card.filters.excluded).toEqual([
      { origin: "with-copies.jsonl:7", reason: "dx-core dx-001: exact, ngram, near-duplicate" },
      { origin: "with-copies.jsonl:8", reason: "dx-core dx-002: near-duplicate" },
    ]);
    expect(card.splits.train.examples + card.splits.validation.examples).toBe(6);
    const recheck = await runSft("check", join(out, "train.jsonl"), join(out, "validation.jsonl"));
    expect(recheck.exitCode).toBe(0);
  });
});
