/**
 * A diagnosis study with three answers per case, end to end: two scripted models behind one loopback
 * OpenAI-compatible server, run through `clinval run`, and every per-case number of report.json (cluster
 * intervals, flip rates, the permutation test, the majority vote, the noise share, the sensitivity table, the
 * interaction) worked out by hand from the script below. The study tests at alpha 0.1, so every interval is
 * at 90%.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BootstrapEstimate, Proportion, Report } from "../src/analysis/report-types.ts";
import type { DiagnosisCase } from "../src/core/case.ts";
import { closeTo } from "../src/stats/close-to.test-support.ts";
import { bcaLimits, pairedDifference, SeededRandom } from "../src/stats/index.ts";
import { parseCsv } from "../src/suites/parse-csv.ts";
import {
  type OpenAICompatibleServer,
  type RecordedRequest,
  type ScriptedReply,
  startOpenAICompatibleServer,
} from "./support/openai-compatible-server.ts";
import { type CliResult, runCli } from "./support/run-cli.ts";

const DIAGNOSES = [
  "Acute appendicitis",
  "Pulmonary embolism",
  "Ectopic pregnancy",
  "Intussusception",
  "Ovarian torsion",
  "Pheochromocytoma",
];
const CASES: DiagnosisCase[] = DIAGNOSES.map((diagnosis, index) => ({
  id: `s-${index + 1}`,
  presentation: `Scripted presentation number ${index + 1}, pointing to one diagnosis.`,
  diagnosis,
  incidence: index < 3 ? "frequent" : "rare",
}));

/**
 * The answers per case and sample: C correct, X incorrect, T truncated (token limit), E a server error.
 *
 *  case | r1     | per case | base   | per case
 *  s-1  | C C C  | 3/3      | C C C  | 3/3
 *  s-2  | C X C  | 2/3      | X X X  | 0/3
 *  s-3  | X C X  | 1/3      | X X C  | 1/3
 *  s-4  | C C X  | 2/3      | X X X  | 0/3
 *  s-5  | C C C  | 3/3      | C T X  | 1/3 (T is incorrect as declared)
 *  s-6  | X C E  | 1/2      | X X X  | 0/3
 */
const SCRIPT: Record<string, string[]> = {
  r1: ["CCC", "CXC", "XCX", "CCX", "CCC", "XCE"],
  base: ["CCC", "XXX", "XXC", "XXX", "CTX", "XXX"],
};
const MODELS: Record<string, string> = { r1: "deepseek-r1-distill-qwen-7b", base: "llama-3.1-8b-instruct" };

function reply(answer: string, testCase: DiagnosisCase): ScriptedReply {
  if (answer === "E") return { status: 500 };
  if (answer === "T") return { content: `{"diagnoses": ["${testCase.diagnosis}"`, finishReason: "length" };
  const diagnosis = answer === "C" ? testCase.diagnosis : "Migraine";
  return { content: JSON.stringify({ diagnoses: [diagnosis, "Gastroenteritis"] }) };
}

function caseOf(request: RecordedRequest): DiagnosisCase {
  const user = request.messages.find((message) => message.role === "user")?.content ?? "";
  const found = CASES.find((testCase) => user.includes(testCase.presentation));
  if (!found) throw new Error(`no case in the prompt: ${user.slice(0, 80)}`);
  return found;
}

const STUDY_YAML = (url: string) => `name: scripted-samples
task: diagnosis
suite:
  path: ./cases.jsonl
models:
${Object.entries(MODELS)
  .map(
    ([id, model]) => `  - id: ${id}
    provider: openai
    baseUrl: ${url}
    model: ${model}
    concurrency: 1
    retries: 0
    timeoutMs: 20000
    params: { temperature: 0.6, maxTokens: 512 }`,
  )
  .join("\n")}
samples: 3
alpha: 0.1
subgroups: [incidence]
output: ./reports
`;

const LEVEL = 0.9;

/**
 * The seeded case-level bootstrap of a mean, redone here from its parts: 2000 resamples of the cases drawn
 * with xoshiro128** seeded 1 (n draws of nextInt(n) per resample), BCa limits with the jackknife of the mean.
 */
function clusterInterval(values: number[]): BootstrapEstimate {
  const count = values.length;
  const total = values.reduce((sum, value) => sum + value, 0);
  const random = new SeededRandom(1);
  const replicates: number[] = [];
  for (let replicate = 0; replicate < 2000; replicate++) {
    let sum = 0;
    for (let position = 0; position < count; position++) sum += values[random.nextInt(count)];
    replicates.push(sum / count);
  }
  const jackknife = values.map((value) => (total - value) / (count - 1));
  const [lower, upper] = bcaLimits(replicates, total / count, jackknife, LEVEL);
  return {
    estimate: closeTo(total / count),
    lower: closeTo(lower),
    upper: closeTo(upper),
    method: "cluster-bootstrap-bca",
    level: LEVEL,
    replicates: 2000,
    seed: 1,
  };
}

/** Wilson 90% limits as R gives them: `prop.test(X, N, correct = FALSE, conf.level = 0.9)$conf.int`. */
function wilson(x: number, n: number, lower: number, upper: number): Proportion {
  return {
    x,
    n,
    estimate: closeTo(x / n),
    lower: closeTo(lower, 1e-9),
    upper: closeTo(upper, 1e-9),
    method: "wilson",
    level: LEVEL,
  };
}

function newcombe(a: number, b: number, c: number, d: number) {
  const interval = pairedDifference({ a, b, c, d }, { level: LEVEL });
  return {
    estimate: closeTo(interval.estimate),
    lower: closeTo(interval.lower),
    upper: closeTo(interval.upper),
    method: "newcombe",
    level: LEVEL,
  };
}

const third = 1 / 3;
const R1_PER_CASE = [1, 2 * third, third, 2 * third, 1, 0.5];
const BASE_PER_CASE = [1, 0, third, 0, third, 0];

let folder: string;
let server: OpenAICompatibleServer;
let run: CliResult;
let report: Report;
const arrivals = new Map<string, number>();

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-samples-e2e-"));
  server = await startOpenAICompatibleServer({
    models: Object.values(MODELS),
    reply: (request) => {
      const testCase = caseOf(request);
      const modelId = Object.keys(MODELS).find((id) => MODELS[id] === request.model);
      if (!modelId) return { status: 404 };
      // One model at a time, concurrency 1: the answers to a case arrive in sample order.
      const key = `${modelId} ${testCase.id}`;
      const sample = arrivals.get(key) ?? 0;
      arrivals.set(key, sample + 1);
      const answer = SCRIPT[modelId][CASES.indexOf(testCase)][sample];
      return reply(answer, testCase);
    },
  });
  await writeFile(join(folder, "cases.jsonl"), `${CASES.map((c) => JSON.stringify(c)).join("\n")}\n`);
  await writeFile(join(folder, "study.yaml"), STUDY_YAML(server.url));
  run = await runCli(["run", join(folder, "study.yaml"), "--store", join(folder, "clinval.db")]);
  report = JSON.parse(await readFile(join(folder, "reports", "report.json"), "utf8"));
});

afterAll(async () => {
  await server?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe("a diagnosis study with three samples per case", () => {
  it("asks each model three times per case and reports the one failed job", () => {
    // The server error on r1's third answer to s-6 is an error outcome: the run is incomplete (exit 1).
    expect(run.code, run.stderr).toBe(1);
    expect(server.requests).toHaveLength(36);
    expect(report.errors).toEqual([
      { model: "r1", case: "s-6", sample: 2, cause: expect.stringMatching(/^http 500: /) },
    ]);
    expect(report.study).toMatchObject({ alpha: 0.1, level: 0.9, samples: 3, adjust: "holm" });
    // The terminal summary gives the per-case mean (25/36 and 5/18) at the study's level.
    expect(run.stdout).toMatch(/^ {2}r1: 69\.4% \(90% CI /m);
    expect(run.stdout).toMatch(/^ {2}base: 27\.8% \(90% CI /m);
    expect(run.stdout).toContain("r1 vs base: 2/0 discordant, Holm p = 0.125");
  });

  it("reports per-case accuracy with a cluster interval, pooled accuracy and the flip rate", () => {
    // Sample 0: r1 correct on s-1 s-2 s-4 s-5 → 4/6; base on s-1 s-5 → 2/6.
    // Pooled: r1 12 of 17 answers correct (3+2+1+2+3+1); base 5 of 18 (3+0+1+0+1+0).
    // Per case: r1 mean (1 + 2/3 + 1/3 + 2/3 + 1 + 1/2)/6 = 25/36; base (1 + 0 + 1/3 + 0 + 1/3 + 0)/6 = 5/18.
    // Flip rate: r1 pairs 5·3 + 1 = 16, disagreeing x(m − x): 0 + 2 + 2 + 2 + 0 + 1 = 7 → 7/16;
    // base pairs 18, disagreeing 0 + 0 + 2 + 0 + 2 + 0 = 4 → 4/18.
    const facts = report.models.map((model) => ({
      id: model.id,
      n: model.n,
      outcomes: model.outcomes,
      accuracy: model.accuracy,
      samples: model.samples,
    }));
    expect(facts).toEqual([
      {
        id: "r1",
        n: 6,
        outcomes: { correct: 4, incorrect: 2, unparseable: 0, truncated: 0, error: 0 },
        accuracy: wilson(4, 6, 0.347014767000318, 0.88272390589771),
        samples: {
          count: 3,
          n: 17,
          accuracy: wilson(12, 17, 0.506431051719324, 0.848798938070437),
          cases: 6,
          perCase: clusterInterval(R1_PER_CASE),
          flips: { cases: 6, pairs: 16, discordantPairs: 7, rate: closeTo(7 / 16) },
        },
      },
      {
        id: "base",
        n: 6,
        outcomes: { correct: 2, incorrect: 4, unparseable: 0, truncated: 0, error: 0 },
        accuracy: wilson(2, 6, 0.11727609410229, 0.652985232999682),
        samples: {
          count: 3,
          n: 18,
          accuracy: wilson(5, 18, 0.142323870137453, 0.471306169675984),
          cases: 6,
          perCase: clusterInterval(BASE_PER_CASE),
          flips: { cases: 6, pairs: 18, discordantPairs: 4, rate: closeTo(4 / 18) },
        },
      },
    ]);
    expect(facts[0].samples?.perCase?.estimate).toBeCloseTo(25 / 36, 12);
    expect(facts[1].samples?.perCase?.estimate).toBeCloseTo(5 / 18, 12);
  });

  it("compares per-case proportions by the exact permutation test, with the majority vote and the noise share", () => {
    // Sample-0 table: both s-1 s-5; r1 only s-2 s-4; neither s-3 s-6 → 2 / 2 / 0 / 2, exact p 2·¼ = 0.5.
    // Per-case differences r1 − base: 0, 2/3, 0, 2/3, 2/3, 1/2; mean 5/12. The non-zero ones in sixths are
    // 4, 4, 4, 3 (sum 15): of the 16 sign assignments only all-plus and all-minus reach |15| → p = 2/16.
    // Majority (more than half correct): r1 s-1 s-2 s-4 s-5 (s-6 is 1 of 2, a tie); base s-1 →
    // 1 / 3 / 0 / 2, McNemar exact 2·(1/2)³ = 0.25, mid-p 0.125.
    // Expected disagreement Σ pA(1 − pB) + pB(1 − pA) = 0 + 2/3 + 4/9 + 2/3 + 2/3 + 1/2 = 53/18; noise
    // Σ x(m − x)/(m(m − 1)): r1 1/3 + 1/3 + 1/3 + 1/2 = 3/2, base 1/3 + 1/3 = 2/3 → 13/6 = 39/18; share 39/53.
    // One comparison, primary: Holm leaves 0.125; not below alpha 0.1.
    expect(report.comparisons).toEqual([
      {
        a: "r1",
        b: "base",
        n: 6,
        excluded: 0,
        bothCorrect: 2,
        aOnly: 2,
        bOnly: 0,
        neither: 2,
        difference: newcombe(2, 2, 0, 2),
        mcnemar: { exactP: 0.5, midP: 0.25 },
        role: "primary",
        test: "sign-flip-permutation",
        p: closeTo(0.125),
        adjustedP: closeTo(0.125),
        adjustment: "holm",
        significant: false,
        samples: {
          cases: 6,
          difference: clusterInterval(R1_PER_CASE.map((value, index) => value - BASE_PER_CASE[index])),
          permutation: { p: closeTo(0.125), method: "exact", replicates: null, seed: null },
          majorityVote: {
            bothCorrect: 1,
            aOnly: 3,
            bOnly: 0,
            neither: 2,
            mcnemar: { exactP: 0.25, midP: 0.125 },
          },
          discordance: {
            cases: 6,
            observed: closeTo(53 / 18),
            noise: closeTo(39 / 18),
            share: closeTo(39 / 53),
          },
        },
      },
    ]);
  });

  it("repeats the analysis with errors as incorrect and with truncated answers left out", () => {
    // Errors as incorrect: r1's s-6 becomes 1/3: mean 4/6 = 2/3 over 18 answers, 12 correct; differences
    // 0, 2/3, 0, 2/3, 2/3, 1/3 (thirds 2, 2, 2, 1: only ±7 reach 7) → p = 2/16.
    // Truncated left out: base's s-5 becomes 1/2: mean (1 + 1/3 + 1/2)/6 = 11/36 over 17 answers; differences
    // 0, 2/3, 0, 2/3, 1/2, 1/2 (sixths 4, 4, 3, 3: only ±14 reach 14) → p = 2/16.
    const r1Errors = [1, 2 * third, third, 2 * third, 1, third];
    const baseTruncated = [1, 0, third, 0, 0.5, 0];
    const model = (id: string, n: number, correct: number, perCase: number[]) => {
      const { replicates: _replicates, seed: _seed, ...accuracy } = clusterInterval(perCase);
      return { id, n, correct, accuracy };
    };
    const comparison = (first: number[], second: number[]) => {
      const {
        replicates: _replicates,
        seed: _seed,
        ...difference
      } = clusterInterval(first.map((value, index) => value - second[index]));
      return {
        a: "r1",
        b: "base",
        n: 6,
        difference,
        test: "sign-flip-permutation",
        p: closeTo(0.125),
        adjustedP: closeTo(0.125),
        role: "primary",
        significant: false,
      };
    };
    expect(report.sensitivity).toEqual([
      {
        analysis: "primary",
        description: expect.any(String),
        models: [model("r1", 17, 12, R1_PER_CASE), model("base", 18, 5, BASE_PER_CASE)],
        comparisons: [comparison(R1_PER_CASE, BASE_PER_CASE)],
      },
      {
        analysis: "errors-as-incorrect",
        description: expect.any(String),
        models: [model("r1", 18, 12, r1Errors), model("base", 18, 5, BASE_PER_CASE)],
        comparisons: [comparison(r1Errors, BASE_PER_CASE)],
      },
      {
        analysis: "truncated-excluded",
        description: expect.any(String),
        models: [model("r1", 17, 12, R1_PER_CASE), model("base", 17, 5, baseTruncated)],
        comparisons: [comparison(R1_PER_CASE, baseTruncated)],
      },
    ]);
  });

  it("tests the model × incidence interaction on the per-case majority votes", () => {
    // Frequent (s-1 s-2 s-3): r1 majority s-1 s-2, base s-1 → 1 / 1 / 0 / 1, difference 1/3.
    // Rare (s-4 s-5 s-6): r1 s-4 s-5, base none → 0 / 2 / 0 / 1, difference 2/3.
    // Discordant pairs (1, 0) and (2, 0): every one favours r1, so Fisher's exact p = 1.
    const frequent = pairedDifference({ a: 1, b: 1, c: 0, d: 1 }, { level: LEVEL });
    const rare = pairedDifference({ a: 0, b: 2, c: 0, d: 1 }, { level: LEVEL });
    expect(report.interactions).toEqual([
      {
        field: "incidence",
        a: "r1",
        b: "base",
        role: "exploratory",
        strata: [
          {
            value: "frequent",
            n: 3,
            bothCorrect: 1,
            aOnly: 1,
            bOnly: 0,
            neither: 1,
            difference: newcombe(1, 1, 0, 1),
          },
          {
            value: "rare",
            n: 3,
            bothCorrect: 0,
            aOnly: 2,
            bOnly: 0,
            neither: 1,
            difference: newcombe(0, 2, 0, 1),
          },
        ],
        contrasts: [
          {
            value: "rare",
            reference: "frequent",
            estimate: closeTo(third),
            lower: closeTo(
              third - Math.hypot(rare.estimate - rare.lower, frequent.upper - frequent.estimate),
            ),
            upper: closeTo(
              third + Math.hypot(rare.upper - rare.estimate, frequent.estimate - frequent.lower),
            ),
            method: "mover-newcombe",
            level: LEVEL,
          },
        ],
        test: { method: "fisher-exact", statistic: null, df: 1 },
        p: 1,
        adjustedP: 1,
        adjustment: "none",
        significant: false,
      },
    ]);
  });

  it("puts the built-in prompt in an appendix, verbatim, and no local path anywhere", async () => {
    expect(report.prompt?.source).toBe("built-in");
    expect(report.prompt?.messages.map((message) => message.role)).toEqual(["system", "user"]);
    expect(report.prompt?.messages[1].content).toContain("{{presentation}}");
    const markdown = await readFile(join(folder, "reports", "report.md"), "utf8");
    expect(markdown).toContain("## Appendix: prompt");
    expect(markdown).toContain("| Model | n | Correct | First answers, % (90% CI) |");
    expect(markdown).toContain("Paired comparisons on per-case proportions over 3 samples per case");
    expect(markdown).toContain(report.prompt?.messages[0].content.split("\n")[0]);
    for (const name of ["report.json", "report.md", "report.html", "cases.csv"]) {
      const text = await readFile(join(folder, "reports", name), "utf8");
      expect(text.includes(folder) || text.includes(tmpdir()), name).toBe(false);
    }
  });

  it("writes one cases.csv row per model × case × sample", async () => {
    const text = await readFile(join(folder, "reports", "cases.csv"), "utf8");
    const [header, ...records] = parseCsv(text).map((record) => record.values);
    const at = (name: string) => header.indexOf(name);
    const letter = { correct: "C", incorrect: "X", truncated: "T", error: "E" } as Record<string, string>;
    const outcomes: Record<string, string[]> = { r1: [], base: [] };
    for (const record of records) {
      const model = record[at("model")];
      const index = CASES.findIndex((testCase) => testCase.id === record[at("case")]);
      outcomes[model][index] = (outcomes[model][index] ?? "") + letter[record[at("outcome")]];
    }
    expect(records).toHaveLength(36);
    expect(outcomes).toEqual(SCRIPT);
  });
});
