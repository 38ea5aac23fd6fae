import { setMaxListeners } from "node:events";
import type { Case } from "../core/case.ts";
import type { ChatMessage, Completion } from "../core/chat.ts";
import { ClinvalError } from "../core/errors.ts";
import type { ModelSpec, Study } from "../core/study.ts";
import type { Provider } from "../providers/provider.ts";
import type { Task } from "../tasks/task.ts";
import { sleep as defaultSleep } from "./backoff.ts";
import { modelCacheKey } from "./cache-key.ts";
import { callWithRetries } from "./call-model.ts";
import { clipCompletion } from "./clip-completion.ts";
import { jobId } from "./job-id.ts";
import type { JobResult } from "./job-result.ts";
import { modelConcurrency, modelLanes } from "./model-lanes.ts";
import { runPool } from "./promise-pool.ts";
import { readAhead } from "./read-ahead.ts";

/** Answers already given, by cache key (the store implements it). */
export interface ResponseCache {
  get(key: string): Promise<Completion | undefined>;
}

export interface RunStartEvent {
  runId: string;
  /** In study order. `total` counts every job of the model; `finished` of them were finished before (resume). */
  models: Array<{ id: string; total: number; finished: number }>;
}

export interface JobEndEvent {
  runId: string;
  result: JobResult;
}

export interface RunEndEvent {
  runId: string;
  summary: RunSummary;
}

/**
 * Hooks called as a run goes; all optional. Each event is passed to the observers in order and
 * each hook is awaited before the next observer's. A job's slot is freed when its answer is in, but at
 * most as many results as the run's concurrency wait for their `onJobEnd` hooks at once, so a slow
 * observer (the store writer, which resolves once the result is durable) slows the run down rather
 * than piling results up.
 */
export interface RunObserver {
  onRunStart?(event: RunStartEvent): void | Promise<void>;
  onJobEnd?(event: JobEndEvent): void | Promise<void>;
  onRunEnd?(event: RunEndEvent): void | Promise<void>;
}

export interface RunSummary {
  /** Jobs in the run: models × cases × samples. */
  total: number;
  /** Jobs with a completion, including those finished before a resume. */
  done: number;
  /** Jobs that ended with an error in this run. */
  errors: number;
  /** Jobs answered from the response cache in this run. */
  fromCache: number;
  /** The caller's signal aborted the run. */
  cancelled: boolean;
  /** Every job has a completion (a cancelled run is complete only if nothing was left). */
  complete: boolean;
}

export interface RunStudyOptions {
  runId: string;
  study: Study;
  cases: Case[];
  /** What the runner asks: a study's task, or any other prompt over cases (the judge's). */
  task: Pick<Task, "prompt" | "caseText" | "responseSchema">;
  /** One provider per model id of the study. */
  providers: Map<string, Provider>;
  cache: ResponseCache;
  /** Job ids (see `jobId`) finished earlier in this run: skipped, never sent to a model. */
  finished?: Set<string>;
  /** Prompt template text, passed to the task. */
  template?: string;
  /** Abort to stop the run: calls in flight are cancelled, nothing new starts, finished results are kept. */
  signal?: AbortSignal;
  observers?: RunObserver[];
  /**
   * Digest of each model's weights (or classifier file) where the backend reports one: part of the
   * cache key, so that new weights under the same name are asked again.
   */
  digests?: ReadonlyMap<string, string>;
  /** false: call the models even for keys the cache has answered. Default true. */
  useCache?: boolean;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

interface Job {
  testCase: Case;
  sample: number;
}

interface PreparedJob extends Job {
  /** The request, its key and its cache lookup, or what the task threw while building them. */
  request:
    | {
        messages: ChatMessage[];
        input: string;
        key: string;
        /** Undefined when the cache is not used. */
        cached: Promise<{ completion: Completion | undefined } | { error: unknown }> | undefined;
      }
    | { error: unknown };
}

/** Jobs prepared per batch: at least twice the concurrency, so a batch lasts more than one round of calls. */
export function readAheadBatch(concurrency: number): number {
  return Math.max(READ_AHEAD_JOBS, 2 * concurrency);
}

const READ_AHEAD_JOBS = 128;

/**
 * Runs every job (model × case × sample) of a study. Models on different servers run at the same
 * time, models sharing a server (and in-process models) one after another in study order (see
 * `modelLanes`), each with its own concurrency; a model call that fails becomes a result with `error`, never an
 * exception. Throws only when the run itself cannot go on: a missing provider, a task that cannot
 * build a prompt, or an observer that fails (e.g. the store cannot write).
 */
export async function runStudy(options: RunStudyOptions): Promise<RunSummary> {
  const { runId, study, cases, task, providers, cache, template, observers = [] } = options;
  const finished = options.finished ?? new Set<string>();
  const useCache = options.useCache ?? true;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const samples = study.samples ?? 1;

  study.models.forEach((spec, index) => {
    if (!providers.has(spec.id)) {
      throw new ClinvalError("missing-provider", `no provider for model "${spec.id}" (models.${index})`);
    }
  });
  const responseSchema = task.responseSchema(study);

  const stop = new AbortController();
  // One listener per call in flight: more than EventTarget's default warning threshold of 10.
  setMaxListeners(0, stop.signal);
  const cancel = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener("abort", cancel, { once: true });

  const models = study.models.map((spec) => ({
    id: spec.id,
    total: cases.length * samples,
    finished: countFinished(spec.id, cases, samples, finished),
  }));
  const counts = { done: models.reduce((sum, model) => sum + model.finished, 0), errors: 0, fromCache: 0 };
  const total = models.reduce((sum, model) => sum + model.total, 0);

  const notify = async <K extends keyof RunObserver>(
    hook: K,
    event: Parameters<NonNullable<RunObserver[K]>>[0],
  ) => {
    for (const observer of observers) {
      const method = observer[hook] as ((event: unknown) => void | Promise<void>) | undefined;
      await method?.call(observer, event);
    }
  };

  /**
   * Builds a job's request and its key and starts its cache lookup. Jobs are prepared a batch ahead of
   * use (`readAhead`), so that the lookups of a whole batch are one store read, finished before the jobs
   * are taken: a free slot sends its next request at once.
   */
  const prepareJob = (keyOf: ReturnType<typeof modelCacheKey>, job: Job): PreparedJob => {
    try {
      const messages = task.prompt(job.testCase, study, template);
      const input = task.caseText(job.testCase);
      const key = keyOf(messages, input, job.sample);
      const cached = useCache
        ? cache.get(key).then(
            (completion) => ({ completion }),
            (error: unknown) => ({ error }),
          )
        : undefined;
      return { ...job, request: { messages, input, key, cached } };
    } catch (error) {
      return { ...job, request: { error } };
    }
  };

  const runJob = async (spec: ModelSpec, provider: Provider, { testCase, sample, request }: PreparedJob) => {
    if ("error" in request) throw request.error;
    const { messages, input, key } = request;
    const base = { modelId: spec.id, caseId: testCase.id, sample, key };
    const lookup = request.cached === undefined ? undefined : await request.cached;
    if (lookup !== undefined && "error" in lookup) throw lookup.error;
    const cached = lookup?.completion;
    let result: JobResult;
    if (cached) {
      result = { ...base, completion: cached, error: null, cached: true };
    } else {
      const outcome = await callWithRetries({
        provider,
        messages,
        params: spec.params,
        responseSchema,
        input,
        timeoutMs: spec.timeoutMs,
        retries: spec.retries,
        signal: stop.signal,
        sleep,
        random,
      });
      if (outcome === "cancelled") return;
      result =
        "completion" in outcome
          ? {
              ...base,
              completion: clipCompletion(outcome.completion, study.maxAnswerChars),
              error: null,
              cached: false,
            }
          : { ...base, completion: null, error: outcome.failure, cached: false };
    }
    if (result.completion) counts.done++;
    else counts.errors++;
    if (result.cached) counts.fromCache++;
    await report(spec, { runId, result });
  };

  // A job's slot is free once its answer is in; its result is handed to the observers (the store
  // commits it within milliseconds) while the next job is already asking. At most a model's concurrency
  // of its results wait for their observers at a time, so a kill loses at most that many answers besides
  // the calls in flight.
  const waiting = new Set<Promise<void>>();
  const handedByModel = new Map<string, { count: number; wakers: Array<() => void> }>();
  let observerError: { error: unknown } | undefined;
  const report = async (spec: ModelSpec, event: JobEndEvent) => {
    const own = handedByModel.get(spec.id) ?? { count: 0, wakers: [] };
    handedByModel.set(spec.id, own);
    while (own.count >= modelConcurrency(spec)) await new Promise<void>((wake) => own.wakers.push(wake));
    if (observerError) throw observerError.error;
    own.count++;
    const settle = () => {
      waiting.delete(delivery);
      own.count--;
      own.wakers.shift()?.();
    };
    const delivery: Promise<void> = notify("onJobEnd", event).then(settle, (error: unknown) => {
      observerError ??= { error };
      stop.abort(error);
      settle();
    });
    waiting.add(delivery);
  };
  const allReported = async () => {
    await Promise.all(waiting);
    if (observerError) throw observerError.error;
  };

  const summarize = (): RunSummary => {
    const cancelled = options.signal?.aborted ?? false;
    return { total, ...counts, cancelled, complete: counts.done === total };
  };

  try {
    await notify("onRunStart", { runId, models });
    const runModel = (spec: ModelSpec) => {
      const keyOf = modelCacheKey({ spec, responseSchema, digest: options.digests?.get(spec.id) });
      const concurrency = modelConcurrency(spec);
      return runPool(
        readAhead(pendingJobs(spec.id, cases, samples, finished), readAheadBatch(concurrency), (job) =>
          prepareJob(keyOf, job),
        ),
        concurrency,
        (job) =>
          runJob(spec, providers.get(spec.id) as Provider, job).catch((error: unknown) => {
            stop.abort(error);
            throw error;
          }),
        () => stop.signal.aborted,
      );
    };
    const runLane = async (lane: ModelSpec[]) => {
      for (const [index, spec] of lane.entries()) {
        if (stop.signal.aborted) break;
        await runModel(spec);
        // One in-process model loaded at a time: free this one before the next is loaded.
        if (spec.provider === "llama-cpp" && index < lane.length - 1) {
          await (providers.get(spec.id) as Provider).close();
        }
      }
    };
    const lanes = await Promise.allSettled(modelLanes(study.models, study.parallel).map(runLane));
    await allReported();
    const failed = lanes.find((lane) => lane.status === "rejected");
    if (failed) throw failed.reason;
  } catch (error) {
    stop.abort(error);
    await Promise.allSettled(waiting);
    await notify("onRunEnd", { runId, summary: { ...summarize(), complete: false } }).catch(() => {});
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", cancel);
  }
  const summary = summarize();
  await notify("onRunEnd", { runId, summary });
  return summary;
}

function* pendingJobs(
  modelId: string,
  cases: Case[],
  samples: number,
  finished: Set<string>,
): Generator<Job> {
  for (const testCase of cases) {
    for (let sample = 0; sample < samples; sample++) {
      if (!finished.has(jobId(modelId, testCase.id, sample))) yield { testCase, sample };
    }
  }
}

function countFinished(modelId: string, cases: Case[], samples: number, finished: Set<string>): number {
  if (finished.size === 0) return 0;
  let count = 0;
  for (const testCase of cases) {
    for (let sample = 0; sample < samples; sample++) {
      if (finished.has(jobId(modelId, testCase.id, sample))) count++;
    }
  }
  return count;
}
