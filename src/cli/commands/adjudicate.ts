import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { adjudicationSheet, readAdjudicationSheet } from "../../judge/adjudication-csv.ts";
import { listPendingPairs } from "../../judge/run-decisions.ts";
import { openStore } from "../../store/store.ts";
import { readTextFile } from "../../suites/read-text-file.ts";
import { STORE_OPTION, storePath } from "../options.ts";

export function register(program: Command): void {
  const adjudicate = program
    .command("adjudicate")
    .description("clinician decisions on (reference, answer) pairs, applied on every re-grade");
  adjudicate
    .command("export")
    .description(
      "write a run's pending pairs (undecided, fuzzy, judge-decided) as CSV for a clinician.\n" +
        "Fill in the `decision` column (correct, more-specific, broader or incorrect) and, if wanted, `note`;\n" +
        "leave `decision` empty for pairs not decided yet. Other columns are for reading only.",
    )
    .argument("<run-id>", "the run's id (see `clinval runs list`), or `latest`")
    .option("--out <file>", "write here instead of standard output")
    .option(STORE_OPTION.flags, STORE_OPTION.description)
    .action(async (runId: string, options: { out?: string; store?: string }) => {
      const store = await openStore(storePath(options.store), { readOnly: true });
      try {
        const pairs = await listPendingPairs(store, runId);
        const sheet = adjudicationSheet(pairs);
        if (options.out === undefined) {
          process.stdout.write(sheet);
          return;
        }
        const out = resolve(options.out);
        await writeFile(out, sheet);
        process.stderr.write(
          `${pairs.length} pending pair${pairs.length === 1 ? "" : "s"} written to ${out}; fill in "decision" ` +
            `(correct, more-specific, broader, incorrect), then run: clinval adjudicate import ${options.out} --reviewer NAME\n`,
        );
      } finally {
        await store.close();
      }
    });
  adjudicate
    .command("import")
    .description(
      "read a filled-in adjudication CSV into the store. Every row is checked first: any bad row\n" +
        "(errors name the line and column) and nothing is recorded (exit 2). A decision replaces an earlier one\n" +
        "on the same pair. Rebuild reports with `clinval report RUN` to apply the decisions.",
    )
    .argument("<file>", "the CSV written by `clinval adjudicate export`, with `decision` filled in")
    .requiredOption("--reviewer <name>", "who decided (recorded with every decision)")
    .option(STORE_OPTION.flags, STORE_OPTION.description)
    .action(async (file: string, options: { reviewer: string; store?: string }) => {
      const reviewer = options.reviewer.trim();
      if (reviewer === "") throw new InputError("must not be empty", { field: "--reviewer" });
      const { text } = await readTextFile(file, "adjudication file");
      const decisions = readAdjudicationSheet(text, file, { reviewer, decidedAt: new Date().toISOString() });
      const store = await openStore(storePath(options.store));
      try {
        await store.recordAdjudications(decisions);
      } finally {
        await store.close();
      }
      process.stdout.write(
        `${decisions.length} decision${decisions.length === 1 ? "" : "s"} recorded by ${reviewer}.\n`,
      );
    });
}
