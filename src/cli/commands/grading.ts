import type { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { type GradingAgreement, gradingAgreement } from "../../judge/agreement.ts";
import { diagnosisRun, loadRunDecisions } from "../../judge/run-decisions.ts";
import { openStore } from "../../store/store.ts";
import { STORE_OPTION, storePath } from "../options.ts";

export function register(program: Command): void {
  const grading = program.command("grading").description("how grading compares with clinicians");
  grading
    .command("agreement")
    .description(
      "compare each grading rung and the judge with the clinicians' decisions on a run's answers:\n" +
        "Cohen's kappa with a 95% CI, the confusion table, and every pair where they disagree. Calls no model.",
    )
    .argument("<run-id>", "the run's id (see `clinval runs list`), or `latest`")
    .option("--json", "print JSON")
    .option(STORE_OPTION.flags, STORE_OPTION.description)
    .action(async (runId: string, options: { json?: boolean; store?: string }) => {
      const store = await openStore(storePath(options.store), { readOnly: true });
      try {
        const run = await diagnosisRun(store, runId);
        const cases = await store.runCases(run.id);
        if (!cases) throw new InputError(`the store has no cases for run "${run.id}"`, { field: "run-id" });
        const { adjudications, verdicts } = await loadRunDecisions(store, run.id);
        const agreement = gradingAgreement({
          study: run.study,
          cases,
          results: await store.results(run.id),
          adjudications,
          verdicts,
        });
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ run: run.id, ...agreement }, null, 2)}\n`
            : agreementText(run.id, agreement),
        );
      } finally {
        await store.close();
      }
    });
}

function agreementText(runId: string, agreement: GradingAgreement): string {
  if (agreement.adjudicated === 0) {
    return `No answer of run ${runId} has a clinician decision yet (see \`clinval adjudicate export\`).\n`;
  }
  const lines = [`Run ${runId}: ${agreement.adjudicated} adjudicated pair(s).`, ""];
  lines.push(
    ...table([
      ["grading", "n", "agreement", "kappa (95% CI)", "clinician correct: yes/no", "clinician not: yes/no"],
      ...agreement.methods.map((method) => [
        method.method,
        String(method.n),
        method.observedAgreement === null ? "—" : `${(method.observedAgreement * 100).toFixed(1)}%`,
        method.kappa
          ? `${method.kappa.estimate.toFixed(3)} (${method.kappa.lower.toFixed(3)} to ${method.kappa.upper.toFixed(3)})`
          : "—",
        `${method.confusion.correct.correct}/${method.confusion.correct.incorrect}`,
        `${method.confusion.incorrect.correct}/${method.confusion.incorrect.incorrect}`,
      ]),
    ]),
    "",
    ...table([
      ["rung", "pairs", "agreeing", "correct", "more-specific", "broader", "incorrect"],
      ...agreement.rungs.map((rung) => [
        rung.rung,
        String(rung.pairs),
        String(rung.agreeing),
        String(rung.clinician.correct),
        String(rung.clinician["more-specific"]),
        String(rung.clinician.broader),
        String(rung.clinician.incorrect),
      ]),
    ]),
    "",
    `Disagreements (${agreement.disagreements.length}):`,
  );
  for (const pair of agreement.disagreements) {
    const judge = pair.judgeVerdict ? `; judge ${pair.judgeVerdict}: ${pair.judgeRationale ?? ""}` : "";
    lines.push(
      `  ${pair.reference} ← ${pair.answer}: clinician ${pair.clinician} (${pair.reviewer}); rung ${pair.rung ?? "none"}${judge}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join("  ")
      .trimEnd(),
  );
}
