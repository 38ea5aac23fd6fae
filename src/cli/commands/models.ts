import type { Command } from "commander";
import { judgeModelSpec } from "../../judge/run-judge.ts";
import { createProvider } from "../../providers/create-provider.ts";
import { ProviderError } from "../../providers/provider.ts";
import { loadStudy } from "../../study/load-study.ts";
import { unsetApiKeyWarnings } from "../options.ts";

const CHECK_TIMEOUT_MS = 120_000;

export function register(program: Command): void {
  const models = program.command("models").description("the models of a study");
  models
    .command("check")
    .description(
      "reach each model of a study with one tiny request; print its identity (with the weights' digest where the\n" +
        "backend reports one) and the latency; the study's judge too, if it has one. Exit 0 when every model answered,\n" +
        "1 otherwise.",
    )
    .argument("<study>", "study file (YAML)")
    .action(async (studyPath: string) => {
      const study = await loadStudy(studyPath);
      const specs = study.judge ? [...study.models, judgeModelSpec(study.judge)] : study.models;
      process.stderr.write(unsetApiKeyWarnings(specs));
      let failures = 0;
      for (const spec of specs) {
        const provider = await createProvider(spec, study);
        const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
        try {
          const identity = await provider.identify(signal);
          const completion = await provider.complete({
            messages: [{ role: "user", content: "Reply with the single word: ready" }],
            params: {
              ...spec.params,
              maxTokens: Math.min(spec.params.maxTokens ?? 256, 256),
              temperature: 0,
            },
            input: "ready",
            signal,
          });
          const answer = completion.text.replace(/\s+/g, " ").slice(0, 60);
          process.stdout.write(
            `ok    ${spec.id}: ${identity.provider} ${identity.model}${identity.digest ? ` digest ${identity.digest.slice(0, 19)}` : ""}` +
              ` · ${Math.round(completion.latencyMs)} ms · answered "${answer}"${completion.reasoning ? " (with reasoning)" : ""}\n`,
          );
        } catch (error) {
          failures++;
          const cause =
            error instanceof ProviderError ? `${error.failure}: ${error.message}` : (error as Error).message;
          process.stdout.write(`FAIL  ${spec.id}: ${spec.provider} ${spec.model} · ${cause}\n`);
        } finally {
          await provider.close();
        }
      }
      process.exitCode = failures > 0 ? 1 : 0;
    });
}
