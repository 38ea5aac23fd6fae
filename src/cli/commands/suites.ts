import type { Command } from "commander";
import type { DiagnosisCase } from "../../core/case.ts";
import { InputError, InputErrors } from "../../core/errors.ts";
import { TASKS, type TaskName } from "../../core/study.ts";
import {
  AUDIT_CHECKS,
  type AuditCheck,
  auditDiagnosisCases,
  type SuiteAudit,
} from "../../suites/audit/audit-suite.ts";
import { DEFAULT_NEAR_DUPLICATE_THRESHOLD } from "../../suites/audit/near-duplicates.ts";
import { caseFileOrBuiltinSuite } from "../../suites/builtin-suites.ts";
import { readCaseFile } from "../../suites/load-case-file.ts";
import { taskFor } from "../../tasks/index.ts";
import { parseFieldMapping, parseList } from "../options.ts";

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
    .option("--json", "print the outcome as JSON (file, cases, fields, sha256); problems as a JSON error")
    .action(
      async (file: string, options: { task: string; fields?: string; split?: string; json?: boolean }) => {
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
          options.json
            ? `${JSON.stringify({ file: path, cases: suite.cases.length, fields: [...fields], sha256: suite.sha256 })}\n`
            : `${path}: ${suite.cases.length} cases, no problems\nfields: ${[...fields].join(", ")}\nsha256: ${suite.sha256}\n`,
        );
      },
    );

  suites
    .command("audit")
    .description(
      "check diagnosis vignettes for answers given away: listed pathognomonic signs and naming tests, the\n" +
        "diagnosis or an accepted name or synonym in the text, red flags not in the text, reject or mimic\n" +
        "names that are correct answers, and near-duplicate vignettes. Exits 1 when a check has more\n" +
        "findings than its limit (default 0).",
    )
    .argument("<file|id>", "case file, or a built-in suite id such as dx-core@1")
    .option(
      "--fields <mapping>",
      "map clinval fields onto your columns, e.g. presentation=text,accept=synonyms",
    )
    .option(
      "--max <limits>",
      `most findings allowed per check, e.g. giveaway=3,near-duplicate=0 (checks: ${AUDIT_CHECKS.join(", ")})`,
    )
    .option(
      "--similarity <jaccard>",
      `word 3-gram Jaccard similarity that makes two vignettes near-duplicates (default ${DEFAULT_NEAR_DUPLICATE_THRESHOLD})`,
    )
    .option("--json", "print the audit as JSON")
    .action(
      async (
        argument: string,
        options: { fields?: string; max?: string; similarity?: string; json?: boolean },
      ) => {
        const limits = parseLimits(options.max);
        const nearDuplicateThreshold = parseSimilarity(options.similarity);
        const { path, id } = caseFileOrBuiltinSuite(argument);
        const { suite, problems } = await readCaseFile(path, {
          requiredFields: ["presentation", "diagnosis"],
          fields: parseFieldMapping(options.fields),
          id,
        });
        if (problems.length > 0) throw problems.length === 1 ? problems[0] : new InputErrors(problems);
        const audit = auditDiagnosisCases(suite.cases as DiagnosisCase[], { limits, nearDuplicateThreshold });
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ suite: { id: suite.id, sha256: suite.sha256 }, ...audit }, null, 2)}\n`
            : auditText(suite.id, audit),
        );
        process.exitCode = audit.exceeded.length > 0 ? 1 : 0;
      },
    );
}

function parseLimits(text: string | undefined): Partial<Record<AuditCheck, number>> {
  const limits: Partial<Record<AuditCheck, number>> = {};
  for (const pair of parseList(text) ?? []) {
    const [check, value, ...rest] = pair.split("=").map((part) => part.trim());
    const count = Number(value);
    if (!(AUDIT_CHECKS as readonly string[]).includes(check) || rest.length > 0) {
      throw new InputError(`"${pair}" is not CHECK=COUNT (checks: ${AUDIT_CHECKS.join(", ")})`, {
        field: "--max",
      });
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new InputError(`"${pair}": the count must be a whole number ≥ 0`, { field: "--max" });
    }
    limits[check as AuditCheck] = count;
  }
  return limits;
}

function parseSimilarity(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0 && value <= 1)) {
    throw new InputError(`must be a number above 0 and at most 1, not "${text}"`, { field: "--similarity" });
  }
  return value;
}

function auditText(suiteId: string, audit: SuiteAudit): string {
  const lines = [
    `${suiteId}: ${audit.cases} cases audited, ${audit.mimicCases} with a mimic`,
    ...AUDIT_CHECKS.map((check) => {
      const over = audit.exceeded.includes(check) ? "  OVER LIMIT" : "";
      return `  ${check.padEnd(15)} ${String(audit.counts[check]).padStart(4)} findings in ${audit.casesWithFindings[check]} cases (limit ${audit.limits[check]})${over}`;
    }),
    audit.nearDuplicates.mostSimilar === null
      ? "  most similar pair: none"
      : `  most similar pair: ${audit.nearDuplicates.mostSimilar.first} / ${audit.nearDuplicates.mostSimilar.second}, word 3-gram Jaccard ${audit.nearDuplicates.mostSimilar.similarity.toFixed(3)} (near-duplicate at ${audit.nearDuplicates.threshold})`,
    ...audit.findings.map(
      (finding) =>
        `${finding.case}${finding.other ? ` / ${finding.other}` : ""}: ${finding.check}: ${finding.detail}`,
    ),
    audit.exceeded.length > 0 ? `FAILED: ${audit.exceeded.join(", ")} over the limit` : "passed",
  ];
  return `${lines.join("\n")}\n`;
}
