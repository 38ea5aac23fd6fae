import type { Command } from "commander";
import type { ModelIdentity } from "../../core/chat.ts";
import { InputError } from "../../core/errors.ts";
import type { ModelSpec } from "../../core/study.ts";
import { JUDGE_ID, judgeModelSpec, judgeRun } from "../../judge/run-judge.ts";
import { createProvider } from "../../providers/create-provider.ts";
import { type Provider, ProviderError } from "../../providers/provider.ts";
import { EgressBlockedError, installEgressGuard, studyHosts } from "../../runner/egress-guard.ts";
import { runStudy } from "../../runner/run-study.ts";
import { checkAdaptations } from "../../sft/adaptation-check.ts";
import { LEASE_MS, openStore } from "../../store/store.ts";
import { createStoreWriter } from "../../store/store-writer.ts";
import { hashStudy } from "../../store/study-hash.ts";
import { type OpenedStudy, openStudy } from "../../study/open-study.ts";
import { firstCasesWithVariants } from "../../tasks/safety/safety-cases.ts";
import { buildReport, type Grading, refuseLenientTriage, summarize, summaryJson } from "../build-report.ts";
import { parseList, parsePositiveInteger, STORE_OPTION, storePath, unsetApiKeyWarnings } from "../options.ts";
import { createProgressObserver } from "../progress.ts";

export interface RunOptions {
  limit?: number;
  only?: string;
  cache: boolean;
  resume?: boolean;
  new?: boolean;
  store?: string;
  lenient?: boolean;
  force?: boolean;
  json?: boolean;
  /** Hosts (comma separated) that may be reached during the run besides those the study names. */
  allowHost?: string;
}

export function register(program: Command): void {
  program
    .command("run")
    .description(
      "run a study's models on its cases, store every answer, and write the report.\n" +
        "Exit 0: complete. Exit 1: incomplete (errors or Ctrl-C) — run again to resume. Exit 2: invalid input.",
    )
    .argument("<study>", "study file (YAML)")
    .option("--limit <n>", "only the first N cases", parsePositiveInteger("--limit"))
    .option("--only <ids>", "only these case ids (comma separated)")
    .option("--no-cache", "ask the models again even for answers already stored")
    .option("--resume", "finish the last incomplete run of this study (the default)")
    .option("--new", "start a new run instead of resuming the last incomplete one")
    .option(STORE_OPTION.flags, STORE_OPTION.description)
    .option("--lenient", "make lenient grading (fuzzy matches count) the primary analysis")
    .option("--force", "take over a run whose earlier runner stopped renewing its lease (after it expired)")
    .option("--json", "print the outcome as JSON (run id, completeness, exit code, files, report)")
    .option(
      "--allow-host <hosts>",
      "hosts (comma separated; *.example.org for subdomains) that may be reached during the run besides the study's models and judge",
    )
    .action(async (studyPath: string, options: RunOptions) => {
      process.exitCode = await runCommand(studyPath, options);
    });
}

export async function runCommand(studyPath: string, options: RunOptions): Promise<number> {
  return executeStudy(await openStudy(studyPath), options);
}

/** Runs an opened study (resuming its last incomplete run), then writes its reports. Returns the exit code. */
export async function executeStudy(opened: OpenedStudy, options: RunOptions): Promise<number> {
  const { study } = opened;
  // Only the hosts the study names (and loopback) may be reached while it runs.
  const controller = new AbortController();
  const guard = installEgressGuard(
    [
      ...studyHosts(study.judge ? [...study.models, study.judge] : study.models),
      ...(parseList(options.allowHost) ?? []),
    ],
    (error) => controller.abort(error),
  );
  try {
    const code = await executeGuarded(opened, options, controller);
    const violation = guard.violation();
    if (violation) throw violation;
    return code;
  } catch (error) {
    throw guard.violation() ?? error;
  } finally {
    guard.uninstall();
  }
}

async function executeGuarded(
  opened: OpenedStudy,
  options: RunOptions,
  controller: AbortController,
): Promise<number> {
  const { task, template } = opened;
  for (const warning of opened.warnings) process.stderr.write(`warning: ${warning}\n`);
  process.stderr.write(unsetApiKeyWarnings(opened.study.models));
  if (options.resume && options.new)
    throw new InputError("choose one of --resume and --new", { field: "--new" });
  if (options.lenient) refuseLenientTriage(opened.study);
  const suite = { ...opened.suite, cases: selectCases(opened.suite.cases, options, opened.suite.source) };
  // Adapters' training data: data card and contamination check against the cases this run evaluates.
  const study = await checkAdaptations(opened.study, suite.cases);

  // Backends first: a classifier file of another label set, or a missing API key, stops the run before
  // anything is written to the store.
  const providers = new Map<string, Provider>();
  const judgeSpec = study.judge ? judgeModelSpec(study.judge) : undefined;
  const backends: Array<[ModelSpec, string]> = study.models.map((spec, index) => [spec, `models.${index}`]);
  if (judgeSpec) backends.push([judgeSpec, "judge"]);
  for (const [spec, path] of backends) {
    try {
      providers.set(
        spec.id,
        await createProvider(spec, study, { onDownloadProgress: downloadProgress(spec.id) }),
      );
    } catch (error) {
      if (!(error instanceof InputError) || error.location.file) throw error;
      const field = `${path}${error.location.field ? `.${error.location.field}` : ""}`;
      throw new InputError(error.message, { file: study.file, field }, error.code);
    }
  }
  const store = await openStore(storePath(options.store));
  const interrupt = () => {
    if (controller.signal.aborted) return;
    process.stderr.write("\nStopping: finished answers are kept; run the same command again to resume.\n");
    controller.abort(new Error("interrupted"));
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  let heartbeat: NodeJS.Timeout | undefined;
  let leased: string | undefined;
  try {
    const subset = options.limit !== undefined || options.only !== undefined;
    const studyHash = hashStudy(
      study,
      subset ? `${suite.sha256}:${suite.cases.map((testCase) => testCase.id).join(",")}` : suite.sha256,
      template,
    );
    const { run, resumed } = await store.startRun({
      study,
      studyHash,
      suite,
      resume: !options.new,
      force: options.force,
    });
    heartbeat = setInterval(() => {
      void store.renewLease(run.id).then((held) => {
        if (!held) controller.abort(new Error("another clinval took this run over"));
      });
    }, LEASE_MS / 3);
    leased = run.id;
    const finished = await store.finishedJobs(run.id);
    process.stderr.write(
      resumed
        ? `Resuming run ${run.id}: ${finished.size} answers already stored.\n`
        : `Run ${run.id}: ${study.models.length} models × ${suite.cases.length} cases × ${study.samples} sample(s), suite ${suite.id}.\n`,
    );

    const identities = new Map<string, ModelIdentity>();
    for (const spec of judgeSpec ? [...study.models, judgeSpec] : study.models) {
      const provider = providers.get(spec.id) as Provider;
      try {
        const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(spec.timeoutMs)]);
        const identity = await provider.identify(signal);
        identities.set(spec.id, identity);
        const digest = identity.digest ? ` (${identity.digest.slice(0, 19)})` : "";
        process.stderr.write(`${spec.id}: ${identity.provider} ${identity.model}${digest}\n`);
      } catch (error) {
        const message = (error as Error).message;
        if (error instanceof ProviderError && error.failure === "connection") {
          // Nothing answers at that address: record every job of this model as an error at once instead of
          // retrying each one; a later run resumes them.
          process.stderr.write(`${spec.id}: not reachable (${message}); its jobs are left for a resume\n`);
          providers.set(spec.id, unreachable(provider, message));
        } else {
          process.stderr.write(`${spec.id}: could not identify the model (${message}); trying its jobs\n`);
        }
      }
    }
    const digests = new Map(
      [...identities].flatMap(([id, identity]) => (identity.digest ? [[id, identity.digest] as const] : [])),
    );
    // With a judge, the run is finished only after the judge's pass.
    const writer = createStoreWriter(store);
    const summary = await runStudy({
      runId: run.id,
      study,
      cases: suite.cases,
      task,
      providers,
      cache: store,
      finished,
      template,
      signal: controller.signal,
      digests,
      useCache: options.cache,
      observers: [judgeSpec ? { onJobEnd: writer.onJobEnd } : writer, createProgressObserver(process.stderr)],
    });
    let complete = summary.complete;
    if (study.judge && judgeSpec) {
      const judged = controller.signal.aborted
        ? undefined
        : await judgeRun({
            runId: run.id,
            study: { ...study, judge: study.judge },
            cases: suite.cases,
            store,
            provider: providers.get(JUDGE_ID) as Provider,
            digest: digests.get(JUDGE_ID),
            signal: controller.signal,
            useCache: options.cache,
            observers: [createProgressObserver(process.stderr)],
          });
      if (judged && judged.pairs > 0) {
        process.stderr.write(
          `Judge: ${judged.pairs} undecided answer pair(s), ${judged.judged} with a verdict` +
            `${judged.complete ? "" : `, ${judged.pairs - judged.judged} still undecided (run again to resume)`}.\n`,
        );
      }
      complete = complete && judged?.complete === true;
      await store.finishRun(run.id, { complete });
    }

    // A refused connection stops the run before any report is written (executeStudy names the host).
    if (controller.signal.reason instanceof EgressBlockedError) return 1;
    const primary: Grading = options.lenient ? "lenient" : "strict";
    const { report, files } = await buildReport({
      store,
      run,
      study,
      suite,
      task,
      primary,
      outputDirectory: study.output,
      identities,
      template,
    });
    const exitCode = complete ? 0 : 1;
    if (options.json) process.stdout.write(summaryJson(report, files, exitCode));
    else process.stdout.write(`${summarize(report)}Reports: ${files.join(", ")}\n`);
    return exitCode;
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    clearInterval(heartbeat);
    await Promise.allSettled([...providers.values()].map((provider) => provider.close()));
    if (leased !== undefined) await store.releaseLease(leased).catch(() => undefined);
    await store.close();
  }
}

/** A provider whose server did not answer at the start: every call fails at once, without retries. */
function unreachable(provider: Provider, message: string): Provider {
  return {
    identify: (signal) => provider.identify(signal),
    complete: async () => {
      throw new ProviderError(
        "connection",
        `not reachable when the run started: ${message}`,
        undefined,
        false,
      );
    },
    close: () => provider.close(),
  };
}

function selectCases<C extends { id: string }>(cases: C[], options: RunOptions, source: string): C[] {
  let selected = cases;
  const only = parseList(options.only);
  if (only) {
    const known = new Set(cases.map((testCase) => testCase.id));
    const unknown = only.filter((id) => !known.has(id));
    if (unknown.length > 0)
      throw new InputError(
        `unknown case id ${unknown.map((id) => `"${id}"`).join(", ")} (not in ${source})`,
        { field: "--only" },
      );
    const wanted = new Set(only);
    selected = selected.filter((testCase) => wanted.has(testCase.id));
  }
  // A safety study's variants follow their case: the limit counts cases, each with its variants.
  if (options.limit !== undefined) selected = firstCasesWithVariants(selected, options.limit);
  return selected;
}

function downloadProgress(modelId: string) {
  let lastPercent = -1;
  return (downloaded: number, total: number) => {
    const percent = total > 0 ? Math.floor((downloaded / total) * 100) : 0;
    if (percent === lastPercent) return;
    lastPercent = percent;
    process.stderr.write(`\r${modelId}: downloading ${percent}% of ${(total / 1e6).toFixed(0)} MB`);
    if (percent >= 100) process.stderr.write("\n");
  };
}
