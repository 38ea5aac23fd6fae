import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { openStore } from "../../store/store.ts";
import { STORE_OPTION, storePath } from "../options.ts";

export function register(program: Command): void {
  const runs = program.command("runs").description("runs kept in the store");
  runs
    .command("list")
    .description("every run, newest first: id, study, when, answers stored, errors, complete or not")
    .option(STORE_OPTION.flags, STORE_OPTION.description)
    .option("--json", "print JSON")
    .action(async (options: { store?: string; json?: boolean }) => {
      const path = storePath(options.store);
      if (!existsSync(path)) {
        process.stdout.write(options.json ? "[]\n" : `No runs: there is no store at ${resolve(path)}.\n`);
        return;
      }
      const store = await openStore(path, { readOnly: true });
      try {
        const listing = await store.listRuns();
        if (options.json) {
          const rows = listing.map(({ study: _study, ...run }) => run);
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (listing.length === 0) {
          process.stdout.write(`No runs in ${store.path}.\n`);
          return;
        }
        const rows = [
          ["run", "study", "task", "started", "answers", "errors", "status"],
          ...listing.map((run) => [
            run.id,
            run.studyName,
            run.study.task,
            run.startedAt.replace("T", " ").slice(0, 19),
            String(run.done),
            String(run.errors),
            run.complete ? "complete" : run.finishedAt ? "incomplete" : "unfinished",
          ]),
        ];
        const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
        for (const row of rows) {
          process.stdout.write(
            `${row
              .map((cell, column) => cell.padEnd(widths[column]))
              .join("  ")
              .trimEnd()}\n`,
          );
        }
      } finally {
        await store.close();
      }
    });
}
