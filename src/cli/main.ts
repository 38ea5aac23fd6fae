import { Command, CommanderError } from "commander";
import { ClinvalError, InputError, InputErrors } from "../core/errors.ts";

/**
 * Each command lives in its own module and is loaded only when invoked, so that a quick command
 * such as `clinval stats` does not load the database or the inference engine.
 */
const COMMANDS: Record<
  string,
  { summary: string; load: () => Promise<{ register(program: Command): void }> }
> = {
  run: {
    summary: "run a study's models on its cases and write the report",
    load: () => import("./commands/run.ts"),
  },
  report: { summary: "rebuild a run's reports from the store", load: () => import("./commands/report.ts") },
  models: { summary: "check that a study's models answer", load: () => import("./commands/models.ts") },
  runs: { summary: "list the runs in the store", load: () => import("./commands/runs.ts") },
  adjudicate: {
    summary: "export pending answer pairs for clinicians, import their decisions",
    load: () => import("./commands/adjudicate.ts"),
  },
  grading: {
    summary: "agreement of the grading rungs and the judge with clinicians",
    load: () => import("./commands/grading.ts"),
  },
  suites: { summary: "validate a case file", load: () => import("./commands/suites.ts") },
  train: {
    summary: "train a report classifier (TF-IDF or embedding probe) on labelled cases",
    load: () => import("./commands/train.ts"),
  },
  stats: {
    summary: "statistics calculator for paired clinical comparisons",
    load: () => import("./commands/stats.ts"),
  },
  view: {
    summary: "the local web workbench: read, code and compare answers",
    load: () => import("./commands/view.ts"),
  },
  sft: {
    summary: "adapt a model on site: training data, contamination check, trainer recipes, launch",
    load: () => import("./commands/sft.ts"),
  },
  demo: {
    summary: "the whole pipeline offline with a tiny random model",
    load: () => import("./commands/demo.ts"),
  },
};

function createProgram(json: boolean): Command {
  const program = new Command("clinval")
    .description("Validate open-source LLMs for clinical tasks on your own machines.")
    .version("0.1.0")
    .exitOverride()
    // With --json, errors are written once, as JSON, by reportErrorAsJson.
    .configureOutput({ writeErr: (text) => (json ? true : process.stderr.write(text)) });
  program.showHelpAfterError("(run with --help for usage)");
  return program;
}

/** Runs the CLI and returns the exit code: 0 done, 1 incomplete, 2 invalid input. */
export async function main(args: string[]): Promise<number> {
  const program = createProgram(args.includes("--json"));
  const name = args.find((argument) => !argument.startsWith("-"));
  const entry = name === undefined ? undefined : COMMANDS[name];
  if (entry) {
    (await entry.load()).register(program);
  } else {
    for (const [commandName, { summary }] of Object.entries(COMMANDS)) {
      program.command(commandName).description(summary);
    }
  }
  process.exitCode = 0;
  try {
    await program.parseAsync(args, { from: "user" });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    return args.includes("--json") ? reportErrorAsJson(error) : reportError(error);
  }
}

/**
 * With `--json`, an error is one JSON object on stderr (docs/formats.md, "Machine-readable output"):
 * `{"error": {"code", "message", "exitCode", "problems": [{"file", "line", "field", "message"}]}}`.
 */
function reportErrorAsJson(error: unknown): number {
  if (error instanceof CommanderError && error.exitCode === 0) return 0;
  const exitCode = error instanceof CommanderError || error instanceof InputError ? 2 : 1;
  const problems = error instanceof InputErrors ? error.problems : error instanceof InputError ? [error] : [];
  const body = {
    error: {
      code: error instanceof ClinvalError || error instanceof CommanderError ? error.code : "unexpected",
      message: error instanceof Error ? error.message.replace(/^error: /, "") : String(error),
      exitCode,
      problems: problems.map((problem) => ({ ...problem.location, message: problem.message })),
    },
  };
  process.stderr.write(`${JSON.stringify(body)}\n`);
  return exitCode;
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
    if (error.code === "commander.help") return 0;
    return 2;
  }
  if (error instanceof InputError) {
    process.stderr.write(`clinval: ${error.describe()}\n`);
    return 2;
  }
  if (error instanceof ClinvalError) {
    process.stderr.write(`clinval: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(
    `clinval: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}
