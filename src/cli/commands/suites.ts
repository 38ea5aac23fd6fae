import type { Command } from "commander";
import { InputError, InputErrors } from "../../core/errors.ts";
import { TASKS, type TaskName } from "../../core/study.ts";
import { caseFileOrBuiltinSuite } from "../../suites/builtin-suites.ts";
import { readCaseFile } from "../../suites/load-case-file.ts";
import { taskFor } from "../../tasks/index.ts";
import { parseFieldMapping } from "../options.ts";

export function register(program: Command): void {
  const suites = program.command("suites").description("work with case files");
  suites
    .command("validate")
    .description("check a case file (JSONL, CSV or YAML) and list every problem with its line")
    .argument("<file|id>", "case file, or a built-in suite id such as dx-core@1")
    .option("--task <task>", `study design the cases are for (${TASKS.join(", ")})`, "diagnosis")
    .option(
      "--fields <mapping>",
      "map clinval fields onto your columns, e.g. presentation=text,accept=synonyms",
    )
    .option("--split <split>", "count only cases of this split")
    .action(async (file: string, options: { task: string; fields?: string; split?: string }) => {
      if (!(TASKS as readonly string[]).includes(options.task)) {
        throw new InputError(`unknown task "${options.task}" (${TASKS.join(", ")})`, { field: "--task" });
      }
      const { path, id } = caseFileOrBuiltinSuite(file);
      const read = async (name: TaskName) =>
        readCaseFile(path, {
          requiredFields: (await taskFor(name)).requiredFields,
          fields: parseFieldMapping(options.fields),
          split: options.split,
          id,
        });
      const task = await taskFor(options.task as TaskName);
      const { suite, problems } = await read(task.name);
      if (problems.length > 0) {
        // Every case of another design: one hint instead of a problem per case.
        for (const other of TASKS.filter((name) => name !== task.name)) {
          if ((await read(other)).problems.length === 0) {
            throw new InputError(
              `these are ${other} cases (${(await taskFor(other)).requiredFields.join(", ")}), not ${task.name} cases: add --task ${other}`,
              { file: path },
            );
          }
        }
        throw new InputErrors(problems);
      }
      const fields = new Set<string>(["id", ...task.requiredFields]);
      for (const testCase of suite.cases) for (const field of Object.keys(testCase)) fields.add(field);
      process.stdout.write(
        `${path}: ${suite.cases.length} cases, no problems\nfields: ${[...fields].join(", ")}\nsha256: ${suite.sha256}\n`,
      );
    });
}
