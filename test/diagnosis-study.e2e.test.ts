/**
 * The diagnostic study end to end (issue 4, "Done when"): two scripted models behind one loopback
 * OpenAI-compatible server, run through `clinval run`, and every number of report.json checked against
 * values worked out by hand from the scripted answers below.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Comparison, ModelSummary, Proportion, Report } from "../src/analysis/report-types.ts";
import type { DiagnosisCase } from "../src/core/case.ts";
import { closeTo } from "../src/stats/close-to.test-support.ts";
import { openStore } from "../src/store/store.ts";
import { parseCsv } from "../src/suites/parse-csv.ts";
import { CHROMIUM, launchChromium } from "./support/chromium.ts";
import {
  type OpenAICompatibleServer,
  type RecordedRequest,
  type ScriptedReply,
  startOpenAICompatibleServer,
} from "./support/openai-compatible-server.ts";
import { type CliResult, runCli } from "./support/run-cli.ts";

// ---------------------------------------------------------------------------------------------------
// The cases. Subgroups: incidence frequent = 01 02 03 05, less-frequent = 04 06 08 09, rare = 07 10;
// specialty in order of first appearance: surgery, internal-medicine, pediatrics, gynecology, neurology.

const CASES: DiagnosisCase[] = [
  {
    id: "dx-01",
    presentation:
      "A 19-year-old man has 18 hours of pain that began around the umbilicus and moved to the right lower " +
      "quadrant, with anorexia and one episode of vomiting. Temperature 38.1 °C, tenderness and guarding at " +
      "McBurney's point, white cell count 14.2 × 10⁹/L.",
    diagnosis: "Acute appendicitis",
    accept: ["appendicitis"],
    specialty: "surgery",
    incidence: "frequent",
  },
  {
    id: "dx-02",
    presentation:
      "A 58-year-old smoker has had crushing central chest pain radiating to the left arm for 40 minutes, " +
      "with sweating. Blood pressure 150/90 mmHg. The ECG shows 3 mm ST elevation in V1 to V4.",
    diagnosis: "ST-elevation myocardial infarction",
    specialty: "internal-medicine",
    incidence: "frequent",
  },
  {
    id: "dx-03",
    presentation:
      "A 44-year-old woman returned yesterday from a 12-hour flight and now has sudden pleuritic chest pain " +
      "and breathlessness. Heart rate 118/min, oxygen saturation 89% on air, the left calf is swollen.",
    diagnosis: "Pulmonary embolism",
    specialty: "internal-medicine",
    incidence: "frequent",
  },
  {
    id: "dx-04",
    presentation:
      "A 9-year-old boy has two weeks of thirst and bedwetting, and today abdominal pain, vomiting and deep " +
      "sighing breaths. He is drowsy; capillary glucose 31 mmol/L, venous pH 7.08, urine ketones 3+.",
    diagnosis: "Diabetic ketoacidosis",
    specialty: "pediatrics",
    incidence: "less-frequent",
  },
  {
    id: "dx-05",
    presentation:
      "A 27-year-old woman whose last period was seven weeks ago has left iliac fossa pain, light vaginal " +
      "bleeding and shoulder-tip pain. Pulse 112/min, blood pressure 96/60 mmHg, urine hCG positive.",
    diagnosis: "Ectopic pregnancy",
    accept: ["tubal pregnancy", "ruptured ectopic pregnancy"],
    specialty: "gynecology",
    incidence: "frequent",
  },
  {
    id: "dx-06",
    presentation:
      "A 47-year-old woman had a sudden, worst-ever occipital headache while lifting a box, followed by " +
      "vomiting and neck stiffness. Glasgow coma scale 14, no focal deficit, blood pressure 172/95 mmHg.",
    diagnosis: "Subarachnoid hemorrhage",
    specialty: "neurology",
    incidence: "less-frequent",
  },
  {
    id: "dx-07",
    presentation:
      "A 35-year-old man has five days of tingling feet and weakness climbing from the legs to the arms, " +
      "two weeks after a diarrhoeal illness. Reflexes are absent; vital capacity has fallen to 2.1 L.",
    diagnosis: "Guillain-Barré syndrome",
    accept: ["acute inflammatory demyelinating polyneuropathy"],
    specialty: "neurology",
    incidence: "rare",
  },
  {
    id: "dx-08",
    presentation:
      "A 9-month-old boy has bouts of inconsolable crying every 20 minutes during which he draws up his legs, " +
      "with vomiting and a redcurrant-jelly stool. A sausage-shaped mass is felt in the right upper abdomen.",
    diagnosis: "Intussusception",
    specialty: "pediatrics",
    incidence: "less-frequent",
  },
  {
    id: "dx-09",
    presentation:
      "A 24-year-old woman has sudden severe right pelvic pain with nausea after exercise. A 6 cm right " +
      "adnexal mass is known from a previous scan; urine hCG negative, temperature normal.",
    diagnosis: "Ovarian torsion",
    accept: ["adnexal torsion"],
    specialty: "gynecology",
    incidence: "less-frequent",
  },
  {
    id: "dx-10",
    presentation:
      "A 39-year-old man has episodes of pounding headache, palpitations and drenching sweats. Blood pressure " +
      "220/120 mmHg during an episode, 130/85 mmHg between them; plasma metanephrines are raised.",
    diagnosis: "Pheochromocytoma",
    specialty: "internal-medicine",
    incidence: "rare",
  },
];

// ---------------------------------------------------------------------------------------------------
// The scripted answers, and how clinval should grade each (k = 5). "r1" is a reasoning model: it thinks
// inline in <think> blocks or in `reasoning_content`; "base" answers plainly.

const R1_MODEL = "deepseek-r1-distill-qwen-7b";
const BASE_MODEL = "llama-3.1-8b-instruct";
const R1_USAGE = { promptTokens: 120, completionTokens: 80, reasoningTokens: 50 };
const BASE_USAGE = { promptTokens: 100, completionTokens: 20 };

const R1_ANSWERS: Record<string, ScriptedReply> = {
  // exact, rank 1
  "dx-01": {
    content:
      "<think>\nPeriumbilical pain moving to the right iliac fossa, fever, leukocytosis.\n</think>\n\n" +
      '{"diagnoses": ["Acute appendicitis", "Mesenteric adenitis", "Right ureteric colic"]}',
  },
  // dictionary (STEMI), rank 2; reasoning in `reasoning_content`
  "dx-02": {
    reasoningContent: "Chest pain with anterior ST elevation: an occluded LAD until shown otherwise.",
    content: '{"diagnoses": ["Aortic dissection", "STEMI", "Acute pericarditis"]}',
  },
  // dictionary (PE), rank 3
  "dx-03": {
    content:
      "<think>Long flight, swollen calf, hypoxia and tachycardia.</think>\n1. Community-acquired pneumonia\n" +
      "2. Spontaneous pneumothorax\n3. PE\n4. Acute pericarditis",
  },
  // truncated: the token limit hit inside the reasoning
  "dx-04": {
    content:
      "<think>\nA drowsy child with Kussmaul breathing, a glucose of 31 and ketonuria. The acidosis is",
    finishReason: "length",
  },
  // accepted name (tubal pregnancy), rank 1
  "dx-05": {
    reasoningContent: "Positive pregnancy test, pain, shock and shoulder-tip pain.",
    content: "Tubal pregnancy, ovarian torsion, pelvic inflammatory disease",
  },
  // first a 500 (retried), then: exact after normalisation (British spelling), rank 2
  "dx-06": {
    content:
      '<think>Thunderclap headache.</think>\n```json\n{"diagnoses": ["Migraine", "Subarachnoid haemorrhage", ' +
      '"Meningitis"]}\n```',
  },
  // incorrect
  "dx-07": {
    reasoningContent: "Ascending weakness.",
    content: '{"diagnoses": ["Myasthenia gravis", "Botulism", "Transverse myelitis"]}',
  },
  // exact, rank 4
  "dx-08": {
    content:
      "<think>Colicky crying.</think>1. Gastroenteritis\n2. Appendicitis\n3. Volvulus\n4. Intussusception\n" +
      "5. Meckel diverticulum",
  },
  // unparseable: prose without a diagnosis
  "dx-09": { content: "<think>Pelvic pain.</think>I cannot determine this without an ultrasound." },
  // incorrect when strict; a fuzzy suggestion at rank 2 (needs review), so correct when lenient
  "dx-10": {
    reasoningContent: "Paroxysms with hypertension.",
    content: '{"diagnoses": ["Essential hypertension", "Malignant pheochromocytoma"]}',
  },
};

const BASE_ANSWERS: Record<string, ScriptedReply> = {
  "dx-01": { content: "1. Acute appendicitis\n2. Gastroenteritis" }, // exact, rank 1
  "dx-02": { content: "1. Acute pericarditis\n2. Aortic dissection" }, // incorrect
  "dx-03": { content: "Pneumonia, asthma exacerbation" }, // incorrect
  "dx-04": { content: "Gastroenteritis, DKA, sepsis" }, // dictionary (DKA), rank 2
  "dx-05": { content: "1. Ruptured ovarian cyst\n2. Appendicitis" }, // incorrect
  "dx-06": { content: "1. Migraine\n2. Tension-type headache" }, // incorrect
  "dx-07": {
    // accepted name, rank 1
    content: '{"diagnoses": ["Acute inflammatory demyelinating polyneuropathy", "Myasthenia gravis"]}',
  },
  "dx-08": { content: "1. Gastroenteritis\n2. Constipation" }, // incorrect
  "dx-09": {
    // accepted name (adnexal torsion), rank 3
    content: "**Differential diagnosis:**\n- Ruptured ovarian cyst\n- Ectopic pregnancy\n- Adnexal torsion",
  },
  "dx-10": { content: "1. Hyperthyroidism\n2. Panic disorder" }, // incorrect
};

/** The case whose presentation is in the request's user message. */
function caseOf(request: RecordedRequest): DiagnosisCase {
  const user = request.messages.find((message) => message.role === "user")?.content ?? "";
  const found = CASES.find((testCase) => user.includes(testCase.presentation));
  if (!found) throw new Error(`no case in the prompt: ${user.slice(0, 80)}`);
  return found;
}

const STUDY_YAML = (url: string) => `name: scripted-dx
task: diagnosis
suite:
  path: ./cases.jsonl
models:
  - id: r1
    provider: openai
    baseUrl: ${url}
    model: ${R1_MODEL}
    concurrency: 2
    retries: 2
    timeoutMs: 20000
    params: { temperature: 0.6, maxTokens: 4096, seed: 7 }
  - id: base
    provider: openai
    baseUrl: ${url}
    model: ${BASE_MODEL}
    concurrency: 2
    retries: 2
    timeoutMs: 20000
    params: { temperature: 0, maxTokens: 512, seed: 7 }
topK: 5
alpha: 0.01
subgroups: [incidence, specialty]
output: ./reports
`;

/**
 * A proportion x/n with Wilson's 99% interval: the study tests at alpha 0.01 and sets no `confidence`, so
 * every interval is at 1 − alpha. Closed form, z = qnorm(0.995): (x + z²/2 ± z·√(x(n − x)/n + z²/4)) / (n + z²).
 * The limits are written as R gives them: `Rscript -e 'prop.test(X, N, correct = FALSE, conf.level = 0.99)$conf.int'`.
 */
function wilson(x: number, n: number, lower: number, upper: number): Proportion {
  return {
    x,
    n,
    estimate: x / n,
    lower: closeTo(lower, 1e-9),
    upper: closeTo(upper, 1e-9),
    method: "wilson",
    level: 0.99,
  };
}

// Wilson 99% limits of x/10 and x/4 (R, as above).
const W = {
  "2/10": [0.0401311525046164, 0.599181303478328],
  "4/10": [0.127930559599574, 0.751840259061407],
  "5/10": [0.184225518247236, 0.815774481752765],
  "6/10": [0.248159740938593, 0.872069440400426],
  "7/10": [0.320024679201103, 0.920433683476934],
  "4/4": [0.37612025298073, 1],
  "1/4": [0.0300655955489531, 0.781874277960682],
} as const;
const proportion = (key: keyof typeof W) => {
  const [x, n] = key.split("/").map(Number);
  return wilson(x, n, W[key][0], W[key][1]);
};

/** The fields of a model summary this test fixes, from one report. */
function modelFacts(model: ModelSummary) {
  const { latencyMs, ...rest } = model;
  expect(latencyMs).toEqual({ p50: expect.any(Number), p95: expect.any(Number) });
  return rest;
}

let folder: string;
let studyPath: string;
let storePath: string;
let server: OpenAICompatibleServer;
let run: CliResult;
let report: Report;
const attempts = new Map<string, number>();

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-dx-e2e-"));
  server = await startOpenAICompatibleServer({
    models: [R1_MODEL, BASE_MODEL],
    reply: (request) => {
      const testCase = caseOf(request);
      const key = `${request.model} ${testCase.id}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      if (request.model === R1_MODEL) {
        if (testCase.id === "dx-06" && attempt === 1) return { status: 500 };
        return { ...R1_ANSWERS[testCase.id], usage: R1_USAGE };
      }
      if (request.model === BASE_MODEL) return { ...BASE_ANSWERS[testCase.id], usage: BASE_USAGE };
      return { status: 404, body: { error: { message: `no model ${request.model}` } } };
    },
  });
  await writeFile(
    join(folder, "cases.jsonl"),
    `${CASES.map((testCase) => JSON.stringify(testCase)).join("\n")}\n`,
  );
  studyPath = join(folder, "study.yaml");
  storePath = join(folder, "store", "clinval.db");
  await writeFile(studyPath, STUDY_YAML(server.url));
  run = await runCli(["run", studyPath, "--store", storePath]);
  report = JSON.parse(await readFile(join(folder, "reports", "report.json"), "utf8"));
});

afterAll(async () => {
  await server?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe("a two-model diagnosis study against a scripted OpenAI-compatible server", () => {
  it("completes, retrying the one 500, and asks each model once per case", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Run complete\./);
    // 10 cases × 2 models, plus the retry of r1 on dx-06.
    expect(server.requests).toHaveLength(21);
    expect(Object.fromEntries(attempts)).toEqual(
      Object.fromEntries(
        [R1_MODEL, BASE_MODEL].flatMap((model) =>
          CASES.map((testCase) => [
            `${model} ${testCase.id}`,
            model === R1_MODEL && testCase.id === "dx-06" ? 2 : 1,
          ]),
        ),
      ),
    );
    expect(report.run.complete).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.study).toEqual({
      name: "scripted-dx",
      task: "diagnosis",
      topK: 5,
      alpha: 0.01,
      level: 0.99,
      adjust: "holm",
      primarySubgroups: [],
      samples: 1,
      grading: "strict",
      subgroups: ["incidence", "specialty"],
      suite: { id: "cases.jsonl", cases: 10, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      terminology: [
        {
          source: "DiseaseOntology/HumanDiseaseOntology",
          release: "v2026-07-31",
          commit: "4bc5e8a796c4715d6c009064c147a49bc8e1c1e5",
          licence: "CC0-1.0",
          corrections: "scripts/terminology-corrections.tsv (13)",
        },
        { source: "clinval clinical overlay" },
      ],
    });
  });

  it("reports each model's outcomes, accuracy with Wilson limits, top-1/3/5 and MRR as worked out by hand", () => {
    // r1, strict ranks by case: 01→1, 02→2, 03→3, 04 truncated, 05→1, 06→2, 07 —, 08→4, 09 unparseable, 10 —.
    // correct 6 (01 02 03 05 06 08), incorrect 2 (07 10), truncated 1 (04), unparseable 1 (09); n = 10.
    // top-1: 01 05 = 2/10; top-3: 01 02 03 05 06 = 5/10; top-5: + 08 = 6/10.
    // MRR = (1 + 1/2 + 1/3 + 1 + 1/2 + 1/4) / 10 = (43/12) / 10 = 43/120.
    // Lenient: 10 counts at rank 2 (the fuzzy "Malignant pheochromocytoma"): top-1 2/10, top-3 6/10,
    // top-5 7/10, MRR = (43/12 + 1/2) / 10 = 49/120; one answer needs review.
    // Tokens: every answer (the truncated one too) reports 120 prompt, 80 completion, 50 reasoning: × 10.
    const [r1, base] = report.models;
    expect(modelFacts(r1)).toEqual({
      id: "r1",
      provider: "openai",
      model: R1_MODEL,
      digest: null,
      params: { temperature: 0.6, maxTokens: 4096, seed: 7 },
      n: 10,
      outcomes: { correct: 6, incorrect: 2, unparseable: 1, truncated: 1, error: 0 },
      grading: "strict",
      accuracy: proportion("6/10"),
      strictAccuracy: proportion("6/10"),
      lenientAccuracy: proportion("7/10"),
      tokens: { prompt: 1200, completion: 800, reasoning: 500 },
      topk: { "1": proportion("2/10"), "3": proportion("5/10"), "5": proportion("6/10") },
      lenientTopk: { "1": proportion("2/10"), "3": proportion("6/10"), "5": proportion("7/10") },
      mrr: closeTo(43 / 120),
      lenientMrr: closeTo(49 / 120),
      needsReview: 1,
    });
    // base, ranks: 01→1, 04→2 (DKA), 07→1 (accepted), 09→3 (accepted); the other six incorrect; n = 10.
    // top-1: 01 07 = 2/10; top-3 = top-5: 01 04 07 09 = 4/10. MRR = (1 + 1/2 + 1 + 1/3) / 10 = 17/60.
    // No fuzzy suggestion, so lenient = strict. Tokens: 100 prompt, 20 completion, no reasoning count.
    expect(modelFacts(base)).toEqual({
      id: "base",
      provider: "openai",
      model: BASE_MODEL,
      digest: null,
      params: { temperature: 0, maxTokens: 512, seed: 7 },
      n: 10,
      outcomes: { correct: 4, incorrect: 6, unparseable: 0, truncated: 0, error: 0 },
      grading: "strict",
      accuracy: proportion("4/10"),
      strictAccuracy: proportion("4/10"),
      lenientAccuracy: proportion("4/10"),
      tokens: { prompt: 1000, completion: 200, reasoning: null },
      topk: { "1": proportion("2/10"), "3": proportion("4/10"), "5": proportion("4/10") },
      lenientTopk: { "1": proportion("2/10"), "3": proportion("4/10"), "5": proportion("4/10") },
      mrr: closeTo(17 / 60),
      lenientMrr: closeTo(17 / 60),
      needsReview: 0,
    });
  });

  it("compares the two models: 2×2 table, Newcombe difference, exact and mid-p McNemar, Holm", () => {
    // r1 correct: 01 02 03 05 06 08; base correct: 01 04 07 09.
    // Both: 01 → 1. r1 only: 02 03 05 06 08 → 5. base only: 04 07 09 → 3. Neither: 10 → 1. n = 10.
    // Difference = (5 − 3)/10 = 0.2. Newcombe (method 10): Wilson limits of 6/10 and 4/10 (above), and
    // φ = (ad − bc)/√((a+b)(c+d)(a+c)(b+d)) = (1·1 − 5·3)/√(6·4·4·6) = −14/24 (negative: no correction);
    // lower = 0.2 − √((0.6 − l₁)² − 2φ(0.6 − l₁)(u₂ − 0.4) + (u₂ − 0.4)²),
    // upper = 0.2 + √((0.4 − l₂)² − 2φ(0.4 − l₂)(u₁ − 0.6) + (u₁ − 0.6)²), with l₁,u₁ of 6/10 and l₂,u₂ of 4/10:
    // −0.426104329702269 and 0.684151117523619 (the same expressions in R with prop.test's 99% limits, as in
    // src/stats/interaction-test.test.ts: newc(1, 5, 3, 1, 0.99)).
    // Exact McNemar: 2·P(X ≤ 3), X ~ Bin(8, 1/2) = 2·(1 + 8 + 28 + 56)/256 = 186/256 = 0.7265625
    // (`Rscript -e 'binom.test(5, 8)$p.value'`); mid-p = 0.7265625 − P(X = 3) = (186 − 56)/256 = 0.5078125.
    // One comparison: Holm leaves p as it is; 0.7265625 ≥ alpha 0.01, not significant.
    const expected: Comparison = {
      a: "r1",
      b: "base",
      n: 10,
      excluded: 0,
      bothCorrect: 1,
      aOnly: 5,
      bOnly: 3,
      neither: 1,
      difference: {
        estimate: closeTo(0.2),
        lower: closeTo(-0.426104329702269, 1e-9),
        upper: closeTo(0.684151117523619, 1e-9),
        method: "newcombe",
        level: 0.99,
      },
      mcnemar: { exactP: closeTo(0.7265625), midP: closeTo(0.5078125) },
      role: "primary",
      test: "mcnemar-exact",
      p: closeTo(0.7265625),
      adjustedP: closeTo(0.7265625),
      adjustment: "holm",
      significant: false,
    };
    expect(report.comparisons).toEqual([expected]);
  });

  it("reports the same per subgroup stratum", () => {
    expect(report.subgroups.map(({ field, value, cases }) => ({ field, value, cases }))).toEqual([
      { field: "incidence", value: "frequent", cases: 4 },
      { field: "incidence", value: "less-frequent", cases: 4 },
      { field: "incidence", value: "rare", cases: 2 },
      { field: "specialty", value: "surgery", cases: 1 },
      { field: "specialty", value: "internal-medicine", cases: 3 },
      { field: "specialty", value: "pediatrics", cases: 2 },
      { field: "specialty", value: "gynecology", cases: 2 },
      { field: "specialty", value: "neurology", cases: 2 },
    ]);
    // incidence = frequent: 01 02 03 05. r1 correct on all four (ranks 1 2 3 1), base on 01 only (rank 1).
    // r1: 4/4, top-1 2/4, MRR = (1 + 1/2 + 1/3 + 1)/4 = 17/24; base: 1/4, top-1 1/4, MRR = 1/4.
    // 2×2: both 1 (01), r1 only 3 (02 03 05), base only 0, neither 0; difference 3/4 = 0.75.
    // Newcombe: c + d = 0 empties a margin, so φ = 0: lower = 0.75 − √((1 − l₁)² + (u₂ − 0.25)²),
    // upper = 0.75 + √((0.25 − l₂)² + (u₁ − 1)²) with l₁,u₁ of 4/4 and l₂,u₂ of 1/4 (R, as above):
    // −0.0698269245987385 and 0.969934404451047 (newc(1, 3, 0, 0, 0.99)).
    // Exact McNemar: 2·P(X ≤ 0), X ~ Bin(3, 1/2) = 2/8 = 0.25; mid-p = 0.25 − 1/8 = 0.125. No subgroup
    // field is declared, so the stratum comparison is exploratory: p unadjusted.
    const frequent = report.subgroups[0];
    expect(
      frequent.models.map((model) => ({
        id: model.id,
        n: model.n,
        outcomes: model.outcomes,
        accuracy: model.accuracy,
        top1: model.topk?.["1"],
        mrr: model.mrr,
      })),
    ).toEqual([
      {
        id: "r1",
        n: 4,
        outcomes: { correct: 4, incorrect: 0, unparseable: 0, truncated: 0, error: 0 },
        accuracy: proportion("4/4"),
        top1: wilson(2, 4, 0.105069706460979, 0.894930293539021),
        mrr: closeTo(17 / 24),
      },
      {
        id: "base",
        n: 4,
        outcomes: { correct: 1, incorrect: 3, unparseable: 0, truncated: 0, error: 0 },
        accuracy: proportion("1/4"),
        top1: proportion("1/4"),
        mrr: closeTo(1 / 4),
      },
    ]);
    expect(frequent.comparisons).toEqual([
      {
        a: "r1",
        b: "base",
        n: 4,
        excluded: 0,
        bothCorrect: 1,
        aOnly: 3,
        bOnly: 0,
        neither: 0,
        difference: {
          estimate: closeTo(0.75),
          lower: closeTo(-0.0698269245987385, 1e-9),
          upper: closeTo(0.969934404451047, 1e-9),
          method: "newcombe",
          level: 0.99,
        },
        mcnemar: { exactP: closeTo(0.25), midP: closeTo(0.125) },
        role: "exploratory",
        test: "mcnemar-exact",
        p: closeTo(0.25),
        adjustedP: closeTo(0.25),
        adjustment: "none",
        significant: false,
      },
    ]);
  });

  it("writes cases.csv with one row per model × case, with the rung and rank", async () => {
    const text = await readFile(join(folder, "reports", "cases.csv"), "utf8");
    const [header, ...records] = parseCsv(text).map((record) => record.values);
    expect(header).toEqual([
      "model",
      "case",
      "sample",
      "outcome",
      "rung",
      "rank",
      "lenientRank",
      "needsReview",
      "answers",
      "answerRungs",
      "answerConcepts",
      "referenceConcepts",
      "reference",
      "latencyMs",
      "promptTokens",
      "completionTokens",
      "reasoningTokens",
      "error",
      "incidence",
      "specialty",
    ]);
    const column = (name: string) => header.indexOf(name);
    const shown = ["model", "case", "outcome", "rung", "rank", "lenientRank", "needsReview", "answers"];
    expect(records.map((record) => shown.map((name) => record[column(name)]))).toEqual([
      [
        "r1",
        "dx-01",
        "correct",
        "exact",
        "1",
        "1",
        "false",
        expect.stringMatching(/^Acute appendicitis \| /),
      ],
      [
        "r1",
        "dx-02",
        "correct",
        "synonym",
        "2",
        "2",
        "false",
        "Aortic dissection | STEMI | Acute pericarditis",
      ],
      ["r1", "dx-03", "correct", "synonym", "3", "3", "false", expect.stringContaining("| PE |")],
      ["r1", "dx-04", "truncated", "", "", "", "false", ""],
      [
        "r1",
        "dx-05",
        "correct",
        "accepted",
        "1",
        "1",
        "false",
        expect.stringMatching(/^Tubal pregnancy \| /),
      ],
      [
        "r1",
        "dx-06",
        "correct",
        "exact",
        "2",
        "2",
        "false",
        "Migraine | Subarachnoid haemorrhage | Meningitis",
      ],
      ["r1", "dx-07", "incorrect", "", "", "", "false", "Myasthenia gravis | Botulism | Transverse myelitis"],
      ["r1", "dx-08", "correct", "exact", "4", "4", "false", expect.stringContaining("| Intussusception |")],
      ["r1", "dx-09", "unparseable", "", "", "", "false", ""],
      [
        "r1",
        "dx-10",
        "incorrect",
        "",
        "",
        "2",
        "true",
        "Essential hypertension | Malignant pheochromocytoma",
      ],
      ["base", "dx-01", "correct", "exact", "1", "1", "false", "Acute appendicitis | Gastroenteritis"],
      ["base", "dx-02", "incorrect", "", "", "", "false", "Acute pericarditis | Aortic dissection"],
      ["base", "dx-03", "incorrect", "", "", "", "false", "Pneumonia | asthma exacerbation"],
      ["base", "dx-04", "correct", "synonym", "2", "2", "false", "Gastroenteritis | DKA | sepsis"],
      ["base", "dx-05", "incorrect", "", "", "", "false", "Ruptured ovarian cyst | Appendicitis"],
      ["base", "dx-06", "incorrect", "", "", "", "false", "Migraine | Tension-type headache"],
      [
        "base",
        "dx-07",
        "correct",
        "accepted",
        "1",
        "1",
        "false",
        expect.stringMatching(/^Acute inflammatory/),
      ],
      ["base", "dx-08", "incorrect", "", "", "", "false", "Gastroenteritis | Constipation"],
      [
        "base",
        "dx-09",
        "correct",
        "accepted",
        "3",
        "3",
        "false",
        expect.stringMatching(/\| Adnexal torsion$/),
      ],
      ["base", "dx-10", "incorrect", "", "", "", "false", "Hyperthyroidism | Panic disorder"],
    ]);
    // Each answer's rung and concepts, for auditing answer by answer (dx-10: the terminology files
    // malignant pheochromocytoma under cancers, so the answer is left for review, not called different).
    const audit = ["answerRungs", "answerConcepts", "referenceConcepts"];
    const auditOf = (model: string, id: string) =>
      audit.map((name) => records.find((record) => record[0] === model && record[1] === id)?.[column(name)]);
    expect(auditOf("r1", "dx-10")).toEqual([
      "different | undecided",
      "DOID:10825 | DOID:0080347",
      "DOID:0050771",
    ]);
    expect(auditOf("r1", "dx-04")).toEqual(["", "", ""]);
    const r1Tokens = ["120", "80", "50"];
    for (const record of records) {
      const tokens = ["promptTokens", "completionTokens", "reasoningTokens"].map(
        (name) => record[column(name)],
      );
      expect(tokens).toEqual(record[0] === "r1" ? r1Tokens : ["100", "20", ""]);
      const testCase = CASES.find((candidate) => candidate.id === record[column("case")]);
      expect([record[column("reference")], record[column("incidence")], record[column("specialty")]]).toEqual(
        [testCase?.diagnosis, testCase?.incidence, testCase?.specialty],
      );
    }
  });

  it("stores the reasoning apart from the answer, whichever way the server sent it", async () => {
    const listed = await runCli(["runs", "list", "--json", "--store", storePath]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        id: report.run.id,
        studyName: "scripted-dx",
        done: 20,
        errors: 0,
        complete: true,
      }),
    ]);
    const store = await openStore(storePath);
    try {
      const results = await store.results(report.run.id);
      expect(results).toHaveLength(20);
      const completionOf = (caseId: string) =>
        results.find((result) => result.modelId === "r1" && result.caseId === caseId)?.completion;
      expect(completionOf("dx-01")).toMatchObject({
        reasoning: "Periumbilical pain moving to the right iliac fossa, fever, leukocytosis.",
        text: '{"diagnoses": ["Acute appendicitis", "Mesenteric adenitis", "Right ureteric colic"]}',
        finishReason: "stop",
      });
      expect(completionOf("dx-02")).toMatchObject({
        reasoning: "Chest pain with anterior ST elevation: an occluded LAD until shown otherwise.",
        text: '{"diagnoses": ["Aortic dissection", "STEMI", "Acute pericarditis"]}',
      });
      expect(completionOf("dx-04")).toMatchObject({
        reasoning: "A drowsy child with Kussmaul breathing, a glucose of 31 and ketonuria. The acidosis is",
        text: "",
        finishReason: "length",
      });
    } finally {
      await store.close();
    }
  });

  it("says on report.md's first line that the run is complete", async () => {
    const markdown = await readFile(join(folder, "reports", "report.md"), "utf8");
    expect(markdown.split("\n")[0]).toBe(
      "**Run complete: all 20 jobs (2 models × 10 cases) have an answer.**",
    );
  });

  it("rebuilds byte-identical reports from the store without calling a model", async () => {
    const files = ["report.json", "report.md", "report.html", "cases.csv"];
    const before = await Promise.all(files.map((name) => readFile(join(folder, "reports", name))));
    const requestsBefore = server.requests.length;
    const rebuilt = await runCli(["report", report.run.id, "--store", storePath]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(server.requests).toHaveLength(requestsBefore);
    const after = await Promise.all(files.map((name) => readFile(join(folder, "reports", name))));
    for (const [index, name] of files.entries()) {
      expect(after[index].equals(before[index]), `${name} changed`).toBe(true);
    }
  });

  it("makes lenient grading the primary analysis with --lenient", async () => {
    const output = join(folder, "lenient");
    const rebuilt = await runCli(["report", "latest", "--lenient", "--output", output, "--store", storePath]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(server.requests).toHaveLength(21);
    const lenient: Report = JSON.parse(await readFile(join(output, "report.json"), "utf8"));
    expect(lenient.study.grading).toBe("lenient");
    // r1's fuzzy suggestion on dx-10 now counts: 7/10; base has none: still 4/10.
    expect(lenient.models.map((model) => [model.id, model.grading, model.accuracy])).toEqual([
      ["r1", "lenient", proportion("7/10")],
      ["base", "lenient", proportion("4/10")],
    ]);
    expect(lenient.models.map((model) => model.strictAccuracy)).toEqual(
      report.models.map((model) => model.strictAccuracy),
    );
    // The comparison moves dx-10 from "neither" to "r1 only": 1 / 6 / 3 / 0, difference 0.3.
    // φ = (1·0 − 6·3)/√(7·3·4·6) = −18/√504 (negative: no correction); Newcombe as above with 7/10, 4/10:
    // −0.394661595013179 and 0.767743488668706 (newc(1, 6, 3, 0, 0.99)). Exact McNemar 2·P(X ≤ 3 | Bin(9, 1/2)) = 2·130/512 =
    // 0.5078125; mid-p = 0.5078125 − 84/512 = 0.34375.
    expect(lenient.comparisons).toEqual([
      {
        a: "r1",
        b: "base",
        n: 10,
        excluded: 0,
        bothCorrect: 1,
        aOnly: 6,
        bOnly: 3,
        neither: 0,
        difference: {
          estimate: closeTo(0.3),
          lower: closeTo(-0.394661595013179, 1e-9),
          upper: closeTo(0.767743488668706, 1e-9),
          method: "newcombe",
          level: 0.99,
        },
        mcnemar: { exactP: closeTo(0.5078125), midP: closeTo(0.34375) },
        role: "primary",
        test: "mcnemar-exact",
        p: closeTo(0.5078125),
        adjustedP: closeTo(0.5078125),
        adjustment: "holm",
        significant: false,
      },
    ]);
  });
});

describe.skipIf(!existsSync(CHROMIUM))("the study's report.html in headless Chromium", () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("shows the status, the tables and the forest plots, and loads nothing else", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on("request", (request) => {
      requests.push(request.url());
    });
    const url = pathToFileURL(join(folder, "reports", "report.html")).href;
    await page.goto(url);

    const status = page.locator("#status");
    expect(await status.isVisible()).toBe(true);
    expect(await status.textContent()).toBe(
      "Run complete: all 20 jobs (2 models × 10 cases) have an answer.",
    );

    const tables = await page.locator("table").evaluateAll((elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        return {
          caption: element.querySelector("caption")?.textContent ?? "",
          rows: element.querySelectorAll("tbody tr").length,
          visible: box.width > 300 && box.height > 40,
        };
      }),
    );
    expect(tables.length).toBeGreaterThanOrEqual(6);
    for (const table of tables) expect(table, table.caption).toMatchObject({ visible: true });
    // The accuracy table has a row per model, the comparison table one for the pair.
    expect(tables.slice(0, 2).map((table) => table.rows)).toEqual([2, 1]);
    await expect(page.locator("table").first().textContent()).resolves.toContain("60.0");

    const charts = await page.locator("figure.chart svg").evaluateAll((elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        return {
          visible: box.width > 400 && box.height > 80,
          points: element.querySelectorAll(".point").length,
          intervals: element.querySelectorAll(".interval").length,
        };
      }),
    );
    // Overall: a point and an interval per model; the one paired difference; by incidence 3 × 2; by
    // specialty 5 × 2.
    expect(charts).toEqual([
      { visible: true, points: 2, intervals: 2 },
      { visible: true, points: 1, intervals: 1 },
      { visible: true, points: 6, intervals: 6 },
      { visible: true, points: 10, intervals: 10 },
    ]);
    expect(requests).toEqual([url]);

    const screenshot = process.env.CLINVAL_SCREENSHOT ?? join(folder, "report.png");
    const png = await page.screenshot({ path: screenshot, fullPage: true });
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1280);
    expect(png.readUInt32BE(20)).toBeGreaterThan(1500);
    await page.close();
  });
});
