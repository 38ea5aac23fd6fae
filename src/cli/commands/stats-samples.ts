import type { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import {
  BOOTSTRAP_METHODS,
  calibration,
  clusterProportion,
  flipRate,
  interactionTest,
} from "../../stats/index.ts";
import {
  type Csv,
  format,
  formatLevel,
  parseCount,
  parseNumber,
  readCsv,
  table,
  withOptionNames,
  write,
} from "./stats.ts";

const CLUSTER_HELP = `
Accuracy when each case was answered several times (samples): the mean over cases of the per-case
proportion correct, with a bootstrap interval that resamples whole cases (clusters), and the flip rate
(of all pairs of answers to the same case, the share where one is correct and the other not).
The CSV has a header row with the columns correct and answered, one row per case.
Example: clinval stats cluster-ci --file per-case.csv --level 0.99 --json`;

const INTERACTION_HELP = `
Does the paired difference A − B change between strata (a model × subgroup interaction)? The CSV has a
header row with the columns stratum, a, b, c, d: the paired table of each stratum (a both correct,
b A only, c B only, d neither). Each later stratum's difference minus the first's gets a MOVER interval
from the strata's Newcombe intervals; the test asks whether the discordant pairs split alike in every
stratum (Fisher's exact test for two strata with discordant pairs, Pearson's chi-square otherwise).`;

const BRIER_HELP = `
Calibration of predicted probabilities of a binary outcome (e.g. P(urgent) against urgent or not): the
Brier score, mean of (p − y)², and a reliability curve of equal-width bins (count, mean predicted,
observed share). The CSV has a header row with the columns p (0 to 1) and y (0 or 1), one row per answer.`;

/** The numeric cell of a named column, naming the file, line and column when it is not a number. */
function cell(csv: Csv, file: string, row: Csv["rows"][number], column: string, integer: boolean): number {
  const index = csv.header.indexOf(column);
  const text = row.cells[index];
  const value = text === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(value) || (integer && (!Number.isInteger(value) || value < 0))) {
    throw new InputError(
      `must be ${integer ? "a non-negative integer" : "a number"}, got ${JSON.stringify(text)}`,
      {
        file,
        line: row.line,
        field: column,
      },
    );
  }
  return value;
}

function requireColumns(csv: Csv, file: string, columns: readonly string[]): void {
  const missing = columns.filter((column) => !csv.header.includes(column));
  if (missing.length > 0) {
    throw new InputError(
      `has no column ${missing.join(", ")}; expected a header with ${columns.join(", ")}`,
      {
        file,
        line: 1,
      },
    );
  }
}

/** Per-row input errors of the statistics (`cases.3.correct`, `p.3`) named by file line. */
function atLine<Result>(csv: Csv, file: string, call: () => Result): Result {
  try {
    return call();
  } catch (error) {
    if (!(error instanceof InputError) || error.location.file !== undefined) throw error;
    const row = /^(?:cases|p|y)\.(\d+)/.exec(error.location.field ?? "");
    if (row) throw new InputError(error.message, { file, line: csv.rows[Number(row[1])]?.line }, error.code);
    throw error;
  }
}

/** `clinval stats cluster-ci`, `interaction` and `brier`: what reports of sampled and triage studies use. */
export function registerSampleStatistics(stats: Command): void {
  stats
    .command("cluster-ci")
    .description(
      "accuracy over several answers per case: per-case mean, cluster bootstrap interval, flip rate",
    )
    .requiredOption("--file <csv>", "columns correct, answered; one row per case")
    .option("--level <level>", "confidence level", "0.95")
    .option("--method <method>", BOOTSTRAP_METHODS.join(" | "), "bca")
    .option("--replicates <count>", "bootstrap resamples", "2000")
    .option("--seed <seed>", "seed of the resampling", "1")
    .option("--json", "print JSON")
    .addHelpText("after", CLUSTER_HELP)
    .action(
      (options: {
        file: string;
        level: string;
        method: string;
        replicates: string;
        seed: string;
        json?: boolean;
      }) => {
        const csv = readCsv(options.file);
        requireColumns(csv, options.file, ["correct", "answered"]);
        const counts = csv.rows.map((row) => ({
          correct: cell(csv, options.file, row, "correct", true),
          answered: cell(csv, options.file, row, "answered", true),
        }));
        const interval = withOptionNames(() =>
          atLine(csv, options.file, () =>
            clusterProportion(counts, {
              level: parseNumber(options.level, "--level"),
              method: options.method as never,
              replicates: parseCount(options.replicates, "--replicates"),
              seed: parseCount(options.seed, "--seed"),
            }),
          ),
        );
        const flips = flipRate(counts);
        const result = { ...interval, flips };
        write(options.json, result, () =>
          table([
            ["per-case mean", result.estimate],
            [`${formatLevel(result.level)} interval`, `${format(result.lower)} to ${format(result.upper)}`],
            [
              "method",
              `cluster bootstrap (${result.method}), ${result.replicates} resamples, seed ${result.seed}`,
            ],
            ["cases", result.cases],
            ["flip rate", flips.rate],
            ["  disagreeing pairs", `${flips.discordantPairs} of ${flips.pairs}`],
          ]),
        );
      },
    );

  stats
    .command("interaction")
    .description(
      "model × subgroup interaction: difference of paired differences between strata, and its test",
    )
    .requiredOption("--file <csv>", "columns stratum, a, b, c, d; one row per stratum")
    .option("--level <level>", "confidence level", "0.95")
    .option("--json", "print JSON")
    .addHelpText("after", INTERACTION_HELP)
    .action((options: { file: string; level: string; json?: boolean }) => {
      const csv = readCsv(options.file);
      requireColumns(csv, options.file, ["stratum", "a", "b", "c", "d"]);
      const strata = csv.rows.map((row) => row.cells[csv.header.indexOf("stratum")]);
      const tables = csv.rows.map((row) => ({
        a: cell(csv, options.file, row, "a", true),
        b: cell(csv, options.file, row, "b", true),
        c: cell(csv, options.file, row, "c", true),
        d: cell(csv, options.file, row, "d", true),
      }));
      const outcome = withOptionNames(() =>
        interactionTest(tables, { level: parseNumber(options.level, "--level") }),
      );
      const result = {
        strata: strata.map((name, index) => ({
          stratum: name,
          ...tables[index],
          difference: outcome.differences[index],
        })),
        contrasts: outcome.contrasts.map(({ stratum, ...contrast }) => ({
          stratum: strata[stratum],
          reference: strata[outcome.differences.findIndex((difference) => difference !== null)],
          ...contrast,
        })),
        test: outcome.test,
      };
      write(options.json, result, () =>
        table([
          ...result.contrasts.map(
            (contrast) =>
              [
                `${contrast.stratum} − ${contrast.reference}`,
                `${format(contrast.estimate)} (${formatLevel(contrast.level)} CI ${format(contrast.lower)} to ${format(contrast.upper)})`,
              ] as [string, string],
          ),
          [
            "test",
            result.test.method === "fisher-exact" ? "Fisher exact" : `chi-square, ${result.test.df} df`,
          ],
          ["p", result.test.p],
        ]),
      );
    });

  stats
    .command("brier")
    .description("Brier score and reliability curve of predicted probabilities")
    .requiredOption("--file <csv>", "columns p (probability) and y (0 or 1); one row per answer")
    .option("--bins <count>", "equal-width bins of the reliability curve", "10")
    .option("--json", "print JSON")
    .addHelpText("after", BRIER_HELP)
    .action((options: { file: string; bins: string; json?: boolean }) => {
      const csv = readCsv(options.file);
      requireColumns(csv, options.file, ["p", "y"]);
      const probabilities = csv.rows.map((row) => cell(csv, options.file, row, "p", false));
      const outcomes = csv.rows.map((row) => cell(csv, options.file, row, "y", false));
      const bins = parseCount(options.bins, "--bins");
      const result = withOptionNames(() =>
        atLine(csv, options.file, () => calibration(probabilities, outcomes, { bins })),
      );
      write(options.json, result, () =>
        [
          table([
            ["Brier score", result.brier],
            ["answers", result.n],
          ]),
          "bin           count  mean p  observed",
          ...result.bins.map(
            (bin) =>
              `${`[${format(bin.lower)}, ${format(bin.upper)})`.padEnd(14)}${String(bin.count).padStart(5)}  ${format(bin.meanPredicted).padStart(6)}  ${format(bin.observed).padStart(8)}`,
          ),
        ].join("\n"),
      );
    });
}
