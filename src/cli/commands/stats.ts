import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { unguardCsvCell } from "../../report/csv.ts";
import {
  adjustPValues,
  BINOMIAL_INTERVAL_METHODS,
  binomialInterval,
  classificationMetrics,
  cochranQ,
  cohenKappa,
  fleissKappa,
  KAPPA_WEIGHTS,
  mcnemar,
  P_ADJUST_METHODS,
  PAIRED_DIFFERENCE_METHODS,
  pairedDifference,
  planMcnemar,
} from "../../stats/index.ts";
import { parseCsv } from "../../suites/parse-csv.ts";
import { registerSampleStatistics } from "./stats-samples.ts";

const CONVENTIONS = `
Paired table of two models A and B on the same n cases:
  a = both correct, b = A correct & B wrong, c = A wrong & B correct, d = both wrong.
  Difference = accuracy A − accuracy B = (b − c)/n. Only b and c carry evidence of a difference.
Add --json for machine-readable output. Bad input exits with code 2.`;

const MCNEMAR_HELP = `
exactP  exact conditional p = min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, ½); 1 when b = c = 0.
        The default for clinval reports: valid for any counts, conservative when b + c is small.
midP    mid-p (Fagerland et al. 2013): exact p − P(X = min(b, c)); 1 − ½·P(X = b) when b = c.
        Closer to the nominal level than the exact p; recommended by Fagerland et al. for routine use.
        null when b = c = 0.
chi2    (b − c)²/(b + c) on 1 degree of freedom, as R's mcnemar.test(correct = FALSE); fine when b + c ≥ 25.
chi2cc  with continuity correction (|b − c| − 1)²/(b + c), as R's mcnemar.test(); conservative.
        Both are null when b = c = 0 (R gives NaN).
Example: clinval stats mcnemar --b 8 --c 0 --json`;

const CI_HELP = `
A confidence interval for a proportion x/n, e.g. a model's accuracy.
  wilson           (default) score interval; close to the nominal level even for small n or x near 0 or n.
  clopper-pearson  "exact" interval from binomial tails; at least the nominal coverage, wider.
  agresti-coull    Wald interval around (x + z²/2)/(n + z²); close to Wilson.
  wald             p̂ ± z·√(p̂(1 − p̂)/n); poor for small n or extreme p̂ (zero width at x = 0 or n).
estimate is always x/n. agresti-coull and wald limits are truncated to [0, 1].`;

const PAIRED_HELP = `
A confidence interval for the difference in accuracy p_A − p_B = (b − c)/n of two models on the same cases.
  newcombe  (default) Newcombe 1998 method 10: Wilson intervals of both accuracies combined with the
            continuity-corrected correlation φ; recommended by Fagerland et al. 2014.
  tango     Tango 1998 asymptotic score interval; also recommended, can be slightly wider.
  wald      (b − c)/n ± z·√(b + c − (b − c)²/n)/n; too narrow for small counts. For comparison only.`;

const COCHRAN_HELP = `
Cochran's Q tests whether k ≥ 2 models have the same accuracy on the same cases (omnibus test before
pairwise McNemar tests). The CSV has a header row naming the models, one row per case, cells 0 or 1.
q is referred to chi-square with df = k − 1; q and p are null when every case is answered alike by all
models. With two models q equals McNemar's chi2.`;

const ADJUST_HELP = `
Adjusts p-values for multiple comparisons, as R's p.adjust; output in input order.
  holm        (default) family-wise error rate, any dependence; uniformly better than bonferroni.
  bonferroni  family-wise error rate, simplest.
  hochberg    family-wise error rate under independence or positive dependence; a little more power.
  bh          false discovery rate (Benjamini–Hochberg) under independence or positive dependence.
  by          false discovery rate under any dependence (Benjamini–Yekutieli); conservative.
Example: clinval stats adjust --method holm 0.008 0.003 0.04`;

const LABEL_HELP = `Labels are ordered by first appearance unless --labels a,b,c is given (then every value must be
one of them).`;

const KAPPA_HELP = `
Cohen's kappa: chance-corrected agreement of two raters (e.g. model and reference) on the same items.
The CSV has a header row and two columns of labels. kappa = (observed − expected)/(1 − expected):
1 perfect, 0 chance level; null when both raters used one single label.
  none       (default) nominal labels: only exact agreement counts.
  linear     ordered labels: partial credit 1 − |i − j|/(k − 1).
  quadratic  ordered labels: partial credit 1 − (i − j)²/(k − 1)²; penalizes large disagreements more.
For weighted kappa give the order with --labels, least to most severe (e.g. negative,routine,urgent).
${LABEL_HELP}`;

const FLEISS_HELP = `
Fleiss' kappa: agreement of m ≥ 2 raters who each rate every item with a nominal label. The CSV has a
header row naming the raters and one row per item. 1 perfect, 0 chance level; null when every rating
is the same label.`;

const CLASSIFY_HELP = `
Confusion matrix and per-class metrics of predictions against reference labels. The CSV has a header
with columns truth and pred (others are ignored). confusion rows = reference, columns = predicted.
On a clinval triage cases.csv:  --truth reference --pred predicted --where model=ID --skip-unlabelled
gives the numbers of that model's classification block in report.json.
precision  of the cases predicted as the class, the share that truly are (0 when never predicted).
recall     of the cases truly in the class, the share found (sensitivity; 0 when support is 0).
f1         harmonic mean of precision and recall; macroF1 is their unweighted mean over all labels,
           so a class the model never predicts pulls it down.
${LABEL_HELP}`;

const PLAN_HELP = `
Cases (pairs) needed for a two-sided McNemar test, by Connor 1987:
  n = (z_{1−α/2}·√ψ + z_{power}·√(ψ − δ²))² / δ², ψ = p10 + p01, δ = p10 − p01,
where p10 = expected share of cases A gets right and B wrong, p01 the reverse.
discordant is the expected number of discordant pairs n·ψ. exactPower is the power of the exact McNemar
test (clinval's default) at that n, computed exactly; if it falls short of --power, plan more cases.`;

/** Registers `clinval stats` and its subcommands. */
export function register(program: Command): void {
  const stats = program
    .command("stats")
    .description("statistics calculator for paired clinical comparisons")
    .addHelpText("after", CONVENTIONS);

  stats
    .command("mcnemar")
    .description("McNemar's test from the discordant counts b and c")
    .requiredOption("--b <count>", "cases A got right and B wrong")
    .requiredOption("--c <count>", "cases A got wrong and B right")
    .option("--json", "print JSON")
    .addHelpText("after", MCNEMAR_HELP + CONVENTIONS)
    .action((options: { b: string; c: string; json?: boolean }) => {
      const result = withOptionNames(() =>
        mcnemar(parseCount(options.b, "--b"), parseCount(options.c, "--c")),
      );
      write(options.json, result, () =>
        table([
          ["b (A right, B wrong)", result.b],
          ["c (A wrong, B right)", result.c],
          ["exact p", result.exactP],
          ["mid-p", result.midP],
          ["chi-square", result.chi2.statistic],
          ["  p", result.chi2.p],
          ["chi-square, corrected", result.chi2cc.statistic],
          ["  p", result.chi2cc.p],
        ]),
      );
    });

  stats
    .command("ci")
    .description("confidence interval for a proportion x/n")
    .requiredOption("--x <count>", "successes (e.g. correct answers)")
    .requiredOption("--n <count>", "trials (e.g. cases)")
    .option("--method <method>", BINOMIAL_INTERVAL_METHODS.join(" | "), "wilson")
    .option("--level <level>", "confidence level", "0.95")
    .option("--json", "print JSON")
    .addHelpText("after", CI_HELP)
    .action((options: { x: string; n: string; method: string; level: string; json?: boolean }) => {
      const result = withOptionNames(() =>
        binomialInterval(parseCount(options.x, "--x"), parseCount(options.n, "--n"), {
          method: options.method as never,
          level: parseNumber(options.level, "--level"),
        }),
      );
      write(options.json, result, () =>
        table([
          ["estimate", result.estimate],
          [`${formatLevel(result.level)} interval`, `${format(result.lower)} to ${format(result.upper)}`],
          ["method", result.method],
          ["x / n", `${result.x} / ${result.n}`],
        ]),
      );
    });

  stats
    .command("paired-diff")
    .description("confidence interval for the difference in accuracy of two models on the same cases")
    .requiredOption("--a <count>", "both correct")
    .requiredOption("--b <count>", "A correct, B wrong")
    .requiredOption("--c <count>", "A wrong, B correct")
    .requiredOption("--d <count>", "both wrong")
    .option("--method <method>", PAIRED_DIFFERENCE_METHODS.join(" | "), "newcombe")
    .option("--level <level>", "confidence level", "0.95")
    .option("--json", "print JSON")
    .addHelpText("after", PAIRED_HELP + CONVENTIONS)
    .action(
      (options: {
        a: string;
        b: string;
        c: string;
        d: string;
        method: string;
        level: string;
        json?: boolean;
      }) => {
        const result = withOptionNames(() =>
          pairedDifference(
            {
              a: parseCount(options.a, "--a"),
              b: parseCount(options.b, "--b"),
              c: parseCount(options.c, "--c"),
              d: parseCount(options.d, "--d"),
            },
            { method: options.method as never, level: parseNumber(options.level, "--level") },
          ),
        );
        write(options.json, result, () =>
          table([
            ["difference A − B", result.estimate],
            [`${formatLevel(result.level)} interval`, `${format(result.lower)} to ${format(result.upper)}`],
            ["method", result.method],
          ]),
        );
      },
    );

  stats
    .command("cochran-q")
    .description("Cochran's Q test of equal accuracy for k models on the same cases")
    .requiredOption("--file <csv>", "header row of model names, one row per case, cells 0 or 1")
    .option("--json", "print JSON")
    .addHelpText("after", COCHRAN_HELP)
    .action((options: { file: string; json?: boolean }) => {
      const csv = readCsv(options.file);
      if (csv.header.length < 2) {
        throw new InputError("needs at least two model columns", { file: options.file, line: 1 });
      }
      const rows = csv.rows.map((row) =>
        row.cells.map((cell, column) => {
          if (cell !== "0" && cell !== "1") {
            throw new InputError(`must be 0 or 1, got ${JSON.stringify(cell)}`, {
              file: options.file,
              line: row.line,
              field: csv.header[column],
            });
          }
          return Number(cell);
        }),
      );
      const result = cochranQ(rows);
      write(options.json, result, () =>
        table([
          ["Q", result.q],
          ["df", result.df],
          ["p", result.p],
          ["cases", result.n],
          ["models", result.k],
        ]),
      );
    });

  stats
    .command("adjust")
    .description("adjust p-values for multiple comparisons")
    .argument("<p-values...>", "p-values, separated by spaces")
    .option("--method <method>", P_ADJUST_METHODS.join(" | "), "holm")
    .option("--json", "print JSON")
    .addHelpText("after", ADJUST_HELP)
    .action((values: string[], options: { method: string; json?: boolean }) => {
      const pValues = values.map((value, index) => parseNumber(value, `p-values.${index}`));
      const adjusted = withOptionNames(() => adjustPValues(pValues, options.method as never));
      const result = { method: options.method, adjusted };
      write(options.json, result, () =>
        table(pValues.map((value, index) => [format(value), adjusted[index]] as [string, number])),
      );
    });

  stats
    .command("kappa")
    .description("Cohen's kappa between two raters, optionally weighted")
    .requiredOption("--file <csv>", "header row, then two columns of labels")
    .option("--weights <weights>", KAPPA_WEIGHTS.join(" | "), "none")
    .option("--labels <labels>", "label order, comma-separated (least to most severe for weights)")
    .option("--json", "print JSON")
    .addHelpText("after", KAPPA_HELP)
    .action((options: { file: string; weights: string; labels?: string; json?: boolean }) => {
      const csv = readCsv(options.file);
      if (csv.header.length !== 2) {
        throw new InputError(`needs exactly two columns of labels, found ${csv.header.length}`, {
          file: options.file,
          line: 1,
        });
      }
      const rows = labelRows(csv, options.file);
      const result = withOptionNames(
        () =>
          cohenKappa(
            rows.map((row) => row[0]),
            rows.map((row) => row[1]),
            { weights: options.weights as never, labels: parseLabels(options.labels) },
          ),
        csv,
        options.file,
      );
      write(options.json, result, () =>
        table([
          ["kappa", result.kappa],
          ["observed agreement", result.observedAgreement],
          ["expected agreement", result.expectedAgreement],
          ["weights", result.weights],
          ["items", result.n],
          ["labels", result.labels.join(", ")],
        ]),
      );
    });

  stats
    .command("fleiss")
    .description("Fleiss' kappa among several raters")
    .requiredOption("--file <csv>", "header row of rater names, one row per item")
    .option("--labels <labels>", "label order, comma-separated")
    .option("--json", "print JSON")
    .addHelpText("after", FLEISS_HELP)
    .action((options: { file: string; labels?: string; json?: boolean }) => {
      const csv = readCsv(options.file);
      const rows = labelRows(csv, options.file);
      const result = withOptionNames(
        () => fleissKappa(rows, { labels: parseLabels(options.labels) }),
        csv,
        options.file,
      );
      write(options.json, result, () =>
        table([
          ["kappa", result.kappa],
          ["items", result.n],
          ["raters", result.raters],
          ["categories", result.categories],
          ["labels", result.labels.join(", ")],
        ]),
      );
    });

  stats
    .command("classify")
    .description("confusion matrix, per-class precision / recall / F1, accuracy and macro-F1")
    .requiredOption("--file <csv>", "header with columns truth and pred")
    .option("--truth <column>", "column of reference labels", "truth")
    .option("--pred <column>", "column of predicted labels", "pred")
    .option("--where <column=value>", "only rows where a column has a value, e.g. model=r1-8b in a cases.csv")
    .option(
      "--skip-unlabelled",
      "leave out rows with an empty prediction (answers without a label in a cases.csv)",
    )
    .option("--labels <labels>", "label order, comma-separated")
    .option("--json", "print JSON")
    .addHelpText("after", CLASSIFY_HELP)
    .action(
      (options: {
        file: string;
        truth: string;
        pred: string;
        where?: string;
        skipUnlabelled?: boolean;
        labels?: string;
        json?: boolean;
      }) => {
        const csv = readCsv(options.file);
        const truthColumn = csv.header.indexOf(options.truth);
        const predictedColumn = csv.header.indexOf(options.pred);
        if (truthColumn < 0 || predictedColumn < 0) {
          throw new InputError(
            `needs columns ${options.truth} and ${options.pred}, found ${csv.header.join(", ")}`,
            {
              file: options.file,
              line: 1,
            },
          );
        }
        if (options.where !== undefined) {
          const separator = options.where.indexOf("=");
          const column = options.where.slice(0, separator);
          const value = options.where.slice(separator + 1);
          const index = csv.header.indexOf(column);
          if (separator < 0 || index < 0) {
            throw new InputError(`"${options.where}" must be COLUMN=VALUE with a column of the file`, {
              field: "--where",
            });
          }
          csv.rows = csv.rows.filter((row) => row.cells[index] === value);
        }
        if (options.skipUnlabelled) {
          const unlabelled = csv.rows.filter((row) => row.cells[predictedColumn] === "").length;
          csv.rows = csv.rows.filter((row) => row.cells[predictedColumn] !== "");
          if (unlabelled > 0) process.stderr.write(`${unlabelled} rows without a predicted label left out\n`);
        }
        const rows = labelRows(csv, options.file, [truthColumn, predictedColumn]);
        const result = withOptionNames(
          () =>
            classificationMetrics(
              rows.map((row) => row[truthColumn]),
              rows.map((row) => row[predictedColumn]),
              { labels: parseLabels(options.labels) },
            ),
          csv,
          options.file,
        );
        write(options.json, result, () => {
          const cell = Math.max(9, ...result.labels.map((label) => label.length));
          const first = Math.max(
            "reference \\ predicted".length,
            ...result.labels.map((label) => label.length),
          );
          const row = (label: string, values: (string | number)[]) =>
            [label.padEnd(first), ...values.map((value) => String(value).padStart(cell))].join("  ");
          const lines = [
            row("reference \\ predicted", result.labels),
            ...result.labels.map((label, index) => row(label, result.confusion[index])),
            "",
            row("label", ["precision", "recall", "f1", "support"]),
            ...result.labels.map((label) => {
              const metrics = result.perClass[label];
              return row(label, [
                format(metrics.precision),
                format(metrics.recall),
                format(metrics.f1),
                metrics.support,
              ]);
            }),
            "",
            table([
              ["accuracy", result.accuracy],
              ["macro-F1", result.macroF1],
            ]),
          ];
          return lines.join("\n");
        });
      },
    );

  stats
    .command("plan-mcnemar")
    .description("cases needed for a McNemar comparison (Connor 1987, checked by exact power)")
    .requiredOption("--p10 <share>", "expected share of cases A gets right and B wrong")
    .requiredOption("--p01 <share>", "expected share of cases A gets wrong and B right")
    .option("--alpha <alpha>", "two-sided significance level", "0.05")
    .option("--power <power>", "target power", "0.8")
    .option("--json", "print JSON")
    .addHelpText("after", PLAN_HELP)
    .action((options: { p10: string; p01: string; alpha: string; power: string; json?: boolean }) => {
      const result = withOptionNames(() =>
        planMcnemar({
          p10: parseNumber(options.p10, "--p10"),
          p01: parseNumber(options.p01, "--p01"),
          alpha: parseNumber(options.alpha, "--alpha"),
          power: parseNumber(options.power, "--power"),
        }),
      );
      write(options.json, result, () =>
        table([
          ["cases needed", result.n],
          ["expected discordant pairs", result.discordant],
          ["method", result.method],
          ["alpha", result.alpha],
          ["target power", result.power],
          ["exact test's power at n", result.exactPower],
        ]),
      );
    });

  registerSampleStatistics(stats);
}

export function write(json: boolean | undefined, result: unknown, text: () => string): void {
  process.stdout.write(`${json ? JSON.stringify(result) : text()}\n`);
}

export function table(rows: [string, string | number | null][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows
    .map(
      ([label, value]) =>
        `${label.padEnd(width)}  ${typeof value === "number" ? format(value) : (value ?? "n/a")}`,
    )
    .join("\n");
}

export function format(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

export function formatLevel(level: number): string {
  return `${Number((level * 100).toPrecision(6))}%`;
}

export function parseCount(text: string, option: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new InputError(`must be a non-negative integer, got ${JSON.stringify(text)}`, { field: option });
  }
  return Number(text);
}

export function parseNumber(text: string, option: string): number {
  const value = text.trim() === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(value))
    throw new InputError(`must be a number, got ${JSON.stringify(text)}`, { field: option });
  return value;
}

function parseLabels(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const labels = text.split(",").map((label) => label.trim());
  if (labels.some((label) => label === "")) {
    throw new InputError(`must be a comma-separated list of labels, got ${JSON.stringify(text)}`, {
      field: "--labels",
    });
  }
  return labels;
}

const OPTION_FIELDS = new Set([
  "a",
  "b",
  "c",
  "d",
  "x",
  "n",
  "level",
  "method",
  "weights",
  "labels",
  "p10",
  "p01",
  "alpha",
  "power",
  "bins",
  "replicates",
  "seed",
]);

/**
 * Runs a library call and names the command-line option (or the file line) in its input errors:
 * `level` becomes `--level`, `rows.3` becomes line 5 of the file (after the header).
 */
export function withOptionNames<Result>(call: () => Result, csv?: Csv, file?: string): Result {
  try {
    return call();
  } catch (error) {
    if (!(error instanceof InputError) || error.location.file !== undefined) throw error;
    const field = error.location.field ?? "";
    const root = field.split(".")[0];
    if (root === "p")
      throw new InputError(error.message, { field: field.replace(/^p\./, "p-values.") }, error.code);
    if (root === "labels") throw new InputError(error.message, { field: "--labels" }, error.code);
    if (OPTION_FIELDS.has(field)) throw new InputError(error.message, { field: `--${field}` }, error.code);
    const row = /^rows\.(\d+)/.exec(field);
    if (csv && row)
      throw new InputError(error.message, { file, line: csv.rows[Number(row[1])]?.line }, error.code);
    throw error;
  }
}

interface CsvRow {
  /** 1-based line number in the file where the row starts. */
  line: number;
  cells: string[];
}

export interface Csv {
  header: string[];
  rows: CsvRow[];
}

export function readCsv(file: string): Csv {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new InputError(reason, { file });
  }
  const records = parseCsv(text.replace(/^\uFEFF/, ""), file).map(({ line, values }) => ({
    line,
    cells: values,
  }));
  if (records.length === 0) throw new InputError("is empty; expected a header row and data rows", { file });
  const [headerRecord, ...rows] = records;
  const header = headerRecord.cells.map((cell) => cell.trim());
  if (rows.length === 0)
    throw new InputError("has a header but no data rows", { file, line: headerRecord.line });
  for (const row of rows) {
    if (row.cells.length !== header.length) {
      throw new InputError(`has ${row.cells.length} fields, the header has ${header.length}`, {
        file,
        line: row.line,
      });
    }
    row.cells = row.cells.map((cell) => unguardCsvCell(cell.trim()));
  }
  return { header, rows };
}

/** The rows of a label file, refusing an empty cell (a missing rating) in the columns that are used. */
function labelRows(csv: Csv, file: string, columns = csv.header.map((_, index) => index)): string[][] {
  for (const row of csv.rows) {
    const empty = columns.find((column) => row.cells[column] === "");
    if (empty !== undefined) {
      throw new InputError("is empty; every cell needs a label", {
        file,
        line: row.line,
        field: csv.header[empty],
      });
    }
  }
  return csv.rows.map((row) => row.cells);
}
