import { resolve } from "node:path";
import type { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { openStore } from "../../store/store.ts";
import { taskFor } from "../../tasks/index.ts";
import { buildReport, refuseLenientTriage, summarize, summaryJson } from "../build-report.ts";
import { STORE_OPTION, storePath } from "../options.ts";

export function register(program: Command): void {
  program
    .command("report")
    .description(
      "rebuild a run's reports (report.json, report.md, report.html, cases.csv) from the store, calling no model.\n" +
        "Grading is re-done from the stored answers, so a new clinval version or --lenient applies at once.",
    )
    .argument("<run-id>", "the run's id (see `clinval runs list`), or `latest`")
    .option("--strict", "strict grading is the primary analysis (default): exact, accepted names, dictionary")
    .option(
      "--lenient",
      "lenient grading is the primary analysis: fuzzy matches flagged needs-review count too",
    )
    .option(
      "--threshold <p>",
      "triage: give the most severe label when an answer's probability of it reaches p (answers with probabilities, e.g. on-site classifiers)",
    )
    .option("--output <folder>", "write here instead of the study's output folder")
    .option(STORE_OPTION.flags, STORE_OPTION.description)
    .option("--json", "print the outcome as JSON (run id, completeness, files, report)")
    .action(
      async (
        runId: string,
        options: {
          strict?: boolean;
          lenient?: boolean;
          output?: string;
          store?: string;
          threshold?: string;
          json?: boolean;
        },
      ) => {
        if (options.strict && options.lenient)
          throw new InputError("choose one of --strict and --lenient", {});
        const threshold = options.threshold === undefined ? undefined : Number(options.threshold);
        if (threshold !== undefined && !(threshold > 0 && threshold < 1)) {
          throw new InputError(`must be a number strictly between 0 and 1, got ${options.threshold}`, {
            field: "--threshold",
          });
        }
        const store = await openStore(storePath(options.store), { readOnly: true });
        try {
          const run = runId === "latest" ? (await store.listRuns())[0] : await store.getRun(runId);
          if (!run) throw new InputError(`no run "${runId}" in ${store.path}`, { field: "run-id" });
          if (options.lenient) refuseLenientTriage(run.study);
          const cases = await store.runCases(run.id);
          if (!cases) throw new InputError(`the store has no cases for run "${run.id}"`, { field: "run-id" });
          const { report, files } = await buildReport({
            store,
            run,
            study: threshold === undefined ? run.study : { ...run.study, threshold },
            suite: { id: run.suite.id, source: run.suite.source, sha256: run.suite.sha256, cases },
            task: await taskFor(run.study.task),
            primary: options.lenient ? "lenient" : "strict",
            outputDirectory: options.output ? resolve(options.output) : run.study.output,
          });
          if (options.json) process.stdout.write(summaryJson(report, files, 0));
          else process.stdout.write(`${summarize(report)}Reports: ${files.join(", ")}\n`);
        } finally {
          await store.close();
        }
      },
    );
}
