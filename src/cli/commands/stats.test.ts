import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/run-cli.ts";
import { renderCasesCsv } from "../../report/cases-csv.ts";
import { smallTriageAnalysis } from "../../report/report.test-support.ts";
import {
  classificationMetrics,
  cochranQ,
  cohenKappa,
  fleissKappa,
  mcnemar,
  planMcnemar,
} from "../../stats/index.ts";

const run = (...args: string[]) => runCli(args);

async function runJson(...args: string[]): Promise<unknown> {
  const result = await run(...args, "--json");
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return JSON.parse(result.stdout);
}

const folder = mkdtempSync(join(tmpdir(), "clinval-stats-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function csvFile(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

describe("clinval stats mcnemar", () => {
  it("prints the library's result as JSON", async () => {
    expect(await runJson("stats", "mcnemar", "--b", "8", "--c", "0")).toEqual({
      b: 8,
      c: 0,
      exactP: 0.0078125,
      midP: 0.00390625,
      chi2: mcnemar(8, 0).chi2,
      chi2cc: mcnemar(8, 0).chi2cc,
    });
  });

  it("prints a readable table without --json, with n/a instead of NaN", async () => {
    const result = await run("stats", "mcnemar", "--b", "0", "--c", "0");
    expect(result).toEqual({
      code: 0,
      stdout: [
        "b (A right, B wrong)   0",
        "c (A wrong, B right)   0",
        "exact p                1",
        "mid-p                  n/a",
        "chi-square             n/a",
        "  p                    n/a",
        "chi-square, corrected  n/a",
        "  p                    n/a",
        "",
      ].join("\n"),
      stderr: "",
    });
  });

  it.each([
    [["--b", "-1", "--c", "0"], 'clinval: --b: must be a non-negative integer, got "-1"\n'],
    [["--b", "2.5", "--c", "0"], 'clinval: --b: must be a non-negative integer, got "2.5"\n'],
    [["--b", "x", "--c", "0"], 'clinval: --b: must be a non-negative integer, got "x"\n'],
  ])("rejects %o with exit code 2", async (args, message) => {
    expect(await run("stats", "mcnemar", ...args)).toEqual({ code: 2, stdout: "", stderr: message });
  });

  it("exits with 2 when a required option is missing", async () => {
    const result = await run("stats", "mcnemar", "--b", "3");
    expect({ code: result.code, mentionsOption: result.stderr.includes("--c") }).toEqual({
      code: 2,
      mentionsOption: true,
    });
  });

  it("explains the numbers in its help", async () => {
    const result = await run("stats", "mcnemar", "--help");
    expect({
      code: result.code,
      explainsMidP: result.stdout.includes("mid-p (Fagerland et al. 2013)"),
      explainsTable: result.stdout.includes("b = A correct & B wrong"),
    }).toEqual({ code: 0, explainsMidP: true, explainsTable: true });
  });
});

describe("clinval stats ci and paired-diff", () => {
  it("defaults to a 95% Wilson interval", async () => {
    expect(await runJson("stats", "ci", "--x", "52", "--n", "110")).toEqual({
      x: 52,
      n: 110,
      estimate: 52 / 110,
      lower: expect.closeTo(0.3819320672059231, 12), // R: prop.test(52, 110, correct = FALSE)$conf.int
      upper: expect.closeTo(0.5653630565376131, 12),
      method: "wilson",
      level: 0.95,
    });
  });

  it("takes the method and level", async () => {
    const result = (await runJson(
      "stats",
      "ci",
      "--x",
      "3",
      "--n",
      "7",
      "--method",
      "clopper-pearson",
      "--level",
      "0.99",
    )) as {
      lower: number;
      method: string;
      level: number;
    };
    // R: binom.test(3, 7, conf.level = 0.99)$conf.int[1] = 0.055299349980566286
    expect([result.lower, result.method, result.level]).toEqual([
      expect.closeTo(0.055299349980566286, 12),
      "clopper-pearson",
      0.99,
    ]);
  });

  it.each([
    [["ci", "--x", "5", "--n", "4"], "clinval: --x: x (5) must not exceed n (4)\n"],
    [["ci", "--x", "0", "--n", "0"], "clinval: --n: must be at least 1 (no cases, no proportion)\n"],
    [
      ["ci", "--x", "1", "--n", "4", "--level", "1.5"],
      "clinval: --level: must be a number strictly between 0 and 1, got 1.5\n",
    ],
    [["ci", "--x", "1", "--n", "4", "--level", "abc"], 'clinval: --level: must be a number, got "abc"\n'],
    [
      ["ci", "--x", "1", "--n", "4", "--method", "exact"],
      'clinval: --method: must be one of wilson, clopper-pearson, agresti-coull, wald, got "exact"\n',
    ],
    [
      ["paired-diff", "--a", "0", "--b", "0", "--c", "0", "--d", "0"],
      "clinval: --a: the table is empty (a + b + c + d = 0)\n",
    ],
  ])("rejects %o with exit code 2", async (args, message) => {
    expect(await run("stats", ...args)).toEqual({ code: 2, stdout: "", stderr: message });
  });

  it("gives the Newcombe interval by default and the others on request", async () => {
    const table = ["--a", "59", "--b", "6", "--c", "16", "--d", "80"];
    const newcombe = (await runJson("stats", "paired-diff", ...table)) as Record<string, unknown>;
    const tango = (await runJson("stats", "paired-diff", ...table, "--method", "tango")) as Record<
      string,
      unknown
    >;
    // References in src/stats/paired-difference.test.ts: newcombe10(59, 6, 16, 80), tango(6, 16, 161)
    expect([newcombe, tango]).toEqual([
      {
        estimate: expect.closeTo(-10 / 161, 12),
        lower: expect.closeTo(-0.11862119563870993, 12),
        upper: expect.closeTo(-0.0046251139330500679, 12),
        method: "newcombe",
        level: 0.95,
      },
      {
        estimate: expect.closeTo(-10 / 161, 12),
        lower: expect.closeTo(-0.12402343246406813, 9),
        upper: expect.closeTo(-0.0054333957316771032, 9),
        method: "tango",
        level: 0.95,
      },
    ]);
  });
});

describe("clinval stats adjust and plan-mcnemar", () => {
  it("adjusts p-values with Holm by default", async () => {
    expect(await runJson("stats", "adjust", "0.008", "0.003")).toEqual({
      method: "holm",
      adjusted: [0.008, 0.006],
    });
    // R: p.adjust(c(0.008, 0.003), "BY") = 0.012, 0.009
    expect(await runJson("stats", "adjust", "--method", "by", "0.008", "0.003")).toEqual({
      method: "by",
      adjusted: [expect.closeTo(0.012, 12), expect.closeTo(0.009, 12)],
    });
  });

  it("rejects a p-value above 1 and an unknown method", async () => {
    expect(await run("stats", "adjust", "0.5", "1.2")).toEqual({
      code: 2,
      stdout: "",
      stderr: "clinval: p-values.1: must be a p-value between 0 and 1, got 1.2\n",
    });
    expect((await run("stats", "adjust", "--method", "fdr", "0.5")).code).toBe(2);
  });

  it("plans a McNemar study", async () => {
    expect(await runJson("stats", "plan-mcnemar", "--p10", "0.05", "--p01", "0.45")).toEqual(
      planMcnemar({ p10: 0.05, p01: 0.45 }),
    );
    expect(
      (await runJson("stats", "plan-mcnemar", "--p10", "0.05", "--p01", "0.45")) as { n: number },
    ).toEqual(expect.objectContaining({ n: 23, method: "Connor 1987" }));
  });

  it("rejects equal discordant shares", async () => {
    expect(await run("stats", "plan-mcnemar", "--p10", "0.1", "--p01", "0.1")).toEqual({
      code: 2,
      stdout: "",
      stderr: "clinval: --p01: p10 and p01 are equal: there is no difference to detect\n",
    });
  });
});

describe("clinval stats with CSV files", () => {
  it("runs Cochran's Q on a 0/1 matrix", async () => {
    const file = csvFile("cochran.csv", "r1,v3,llama\n1,1,0\n1,0,0\r\n1,1,1\n0,0,0\n\n1,0,1\n");
    expect(await runJson("stats", "cochran-q", "--file", file)).toEqual(
      cochranQ([
        [1, 1, 0],
        [1, 0, 0],
        [1, 1, 1],
        [0, 0, 0],
        [1, 0, 1],
      ]),
    );
  });

  it.each([
    ["ragged.csv", "a,b\n1,0\n1\n", ":3: has 1 fields, the header has 2"],
    ["values.csv", "a,b\n1,0\n1,2\n", ':3: b: must be 0 or 1, got "2"'],
    ["empty.csv", "", ": is empty; expected a header row and data rows"],
    ["header.csv", "a,b\n", ":1: has a header but no data rows"],
    ["single.csv", "a\n1\n", ":1: needs at least two model columns"],
  ])("rejects %s with its file and line", async (name, text, problem) => {
    const file = csvFile(name, text);
    expect(await run("stats", "cochran-q", "--file", file)).toEqual({
      code: 2,
      stdout: "",
      stderr: `clinval: ${file}${problem}\n`,
    });
  });

  it("names a missing file", async () => {
    const file = join(folder, "missing.csv");
    expect(await run("stats", "cochran-q", "--file", file)).toEqual({
      code: 2,
      stdout: "",
      stderr: `clinval: ${file}: no such file\n`,
    });
  });

  it("computes weighted kappa in the given label order, with quoted fields", async () => {
    const file = csvFile(
      "kappa.csv",
      'reference,model\nnegative,negative\nroutine,"routine"\nurgent,routine\n"urgent",urgent\nnegative,routine\n',
    );
    const labels = ["negative", "routine", "urgent"];
    expect(
      await runJson(
        "stats",
        "kappa",
        "--file",
        file,
        "--weights",
        "linear",
        "--labels",
        "negative,routine,urgent",
      ),
    ).toEqual(
      cohenKappa(
        ["negative", "routine", "urgent", "urgent", "negative"],
        ["negative", "routine", "routine", "urgent", "routine"],
        { weights: "linear", labels },
      ),
    );
  });

  it("rejects a label outside --labels with its line", async () => {
    const file = csvFile("kappa-labels.csv", "reference,model\nnegative,negative\nroutine,urgent\n");
    expect(await run("stats", "kappa", "--file", file, "--labels", "negative,routine")).toEqual({
      code: 2,
      stdout: "",
      stderr: `clinval: ${file}:3: value "urgent" is not one of the labels negative, routine\n`,
    });
  });

  it("rejects a kappa file without exactly two columns", async () => {
    const file = csvFile("kappa-wide.csv", "a,b,c\nx,x,x\n");
    expect((await run("stats", "kappa", "--file", file)).stderr).toBe(
      `clinval: ${file}:1: needs exactly two columns of labels, found 3\n`,
    );
  });

  it("computes Fleiss' kappa and refuses a missing rating", async () => {
    const file = csvFile("fleiss.csv", "r1,r2,r3\nA,A,B\nB,B,B\nA,C,C\n");
    expect(await runJson("stats", "fleiss", "--file", file)).toEqual(
      fleissKappa([
        ["A", "A", "B"],
        ["B", "B", "B"],
        ["A", "C", "C"],
      ]),
    );
    const missing = csvFile("fleiss-missing.csv", "r1,r2\nA,A\nB,\n");
    expect((await run("stats", "fleiss", "--file", missing)).stderr).toBe(
      `clinval: ${missing}:3: r2: is empty; every cell needs a label\n`,
    );
  });

  it("classifies with a class that is never predicted", async () => {
    const file = csvFile(
      "classify.csv",
      "id,truth,pred\n1,urgent,routine\n2,routine,routine\n3,negative,negative\n4,urgent,negative\n",
    );
    const result = await runJson("stats", "classify", "--file", file);
    expect(result).toEqual(
      classificationMetrics(
        ["urgent", "routine", "negative", "urgent"],
        ["routine", "routine", "negative", "negative"],
      ),
    );
    expect((result as { perClass: Record<string, unknown> }).perClass.urgent).toEqual({
      precision: 0,
      recall: 0,
      f1: 0,
      support: 2,
    });
  });

  it("prints the confusion matrix as a table", async () => {
    const file = csvFile("classify-text.csv", "truth,pred\na,a\nb,a\n");
    expect((await run("stats", "classify", "--file", file)).stdout).toBe(
      [
        "reference \\ predicted          a          b",
        "a                              1          0",
        "b                              1          0",
        "",
        "label                  precision     recall         f1    support",
        "a                            0.5          1   0.666667          1",
        "b                              0          0          0          1",
        "",
        "accuracy  0.5",
        "macro-F1  0.333333",
        "",
      ].join("\n"),
    );
  });

  it("rejects a classify file without truth and pred columns", async () => {
    const file = csvFile("classify-columns.csv", "label,guess\na,a\n");
    expect((await run("stats", "classify", "--file", file)).stderr).toBe(
      `clinval: ${file}:1: needs columns truth and pred, found label, guess\n`,
    );
  });
});

describe("clinval stats classify on a cases.csv with formula-like cells", () => {
  it("reads back a guarded file: every text column begins with a formula character, none is written as one", async () => {
    const { report, details } = smallTriageAnalysis();
    const hostile = {
      ...details,
      rows: details.rows.map((row) => ({
        ...row,
        model: `=${row.model}`,
        case: `+${row.case}`,
        answers: row.answers.map((answer) => `@${answer}`),
        error: "-connection refused",
        subgroups: { region: `\t${row.subgroups.region}` },
      })),
    };
    const text = renderCasesCsv(report, hostile);
    const cells = text
      .trim()
      .split("\r\n")
      .slice(1)
      .flatMap((line) => line.split(","));
    expect(cells.filter((cell) => /^"?[=+\-@\t\r]/.test(cell))).toEqual([]);

    const file = csvFile("hostile-cases.csv", text);
    const labelled = details.rows.filter((row) => row.model === "A" && row.predicted !== null);
    const result = await run(
      "stats",
      "classify",
      "--file",
      file,
      "--truth",
      "reference",
      "--pred",
      "predicted",
      "--where",
      "model==A",
      "--skip-unlabelled",
      "--labels",
      "negative,routine,urgent",
      "--json",
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr: "1 rows without a predicted label left out\n",
    });
    expect(JSON.parse(result.stdout)).toEqual(
      classificationMetrics(
        labelled.map((row) => row.reference as string),
        labelled.map((row) => row.predicted as string),
        { labels: ["negative", "routine", "urgent"] },
      ),
    );
  });
});
