import type { Command } from "commander";
import type { ModelSpec } from "../../core/study.ts";
import { judgeModelSpec } from "../../judge/run-judge.ts";
import { createProvider } from "../../providers/create-provider.ts";
import { describeUrl } from "../../providers/http-stream.ts";
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
    .option("--json", "print one JSON object per model checked, in a list")
    .action(async (studyPath: string, options: { json?: boolean }) => {
      const study = await loadStudy(studyPath);
      const specs = study.judge ? [...study.models, judgeModelSpec(study.judge)] : study.models;
      process.stderr.write(unsetApiKeyWarnings(specs));
      const checks: ModelCheck[] = [];
      for (const spec of specs.flatMap(eachEndpoint)) {
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
          checks.push({
            id: spec.id,
            ok: true,
            ...identity,
            latencyMs: Math.round(completion.latencyMs),
            answer: completion.text.replace(/\s+/g, " ").slice(0, 60),
            reasoning: completion.reasoning !== null,
          });
        } catch (error) {
          const cause =
            error instanceof ProviderError ? `${error.failure}: ${error.message}` : (error as Error).message;
          checks.push({ id: spec.id, ok: false, provider: spec.provider, model: spec.model, error: cause });
        } finally {
          await provider.close();
        }
        if (!options.json) process.stdout.write(describeCheck(checks[checks.length - 1]));
      }
      if (options.json) process.stdout.write(`${JSON.stringify(checks)}\n`);
      process.exitCode = checks.every((check) => check.ok) ? 0 : 1;
    });
}

/** One model's check, as `--json` prints it. */
type ModelCheck =
  | {
      id: string;
      ok: true;
      provider: string;
      model: string;
      digest?: string;
      latencyMs: number;
      answer: string;
      reasoning: boolean;
    }
  | { id: string; ok: false; provider: string; model: string; error: string };

function describeCheck(check: ModelCheck): string {
  if (!check.ok) return `FAIL  ${check.id}: ${check.provider} ${check.model} · ${check.error}\n`;
  const digest = check.digest ? ` digest ${check.digest.slice(0, 19)}` : "";
  return (
    `ok    ${check.id}: ${check.provider} ${check.model}${digest}` +
    ` · ${check.latencyMs} ms · answered "${check.answer}"${check.reasoning ? " (with reasoning)" : ""}\n`
  );
}

/** A model with several endpoints is checked at each of them, as `id@address`. */
function eachEndpoint(spec: ModelSpec): ModelSpec[] {
  if (spec.endpoints === undefined) return [spec];
  return spec.endpoints.map((endpoint) => ({
    ...spec,
    id: `${spec.id}@${describeUrl(endpoint.baseUrl)}`,
    baseUrl: endpoint.baseUrl,
    endpoints: undefined,
  }));
}
