import { pairKey, storedDecisions } from "../core/adjudication.ts";
import type { Case } from "../core/case.ts";
import type { JudgeSpec, ModelSpec, Study } from "../core/study.ts";
import type { Provider } from "../providers/provider.ts";
import { jobId } from "../runner/job-id.ts";
import { type RunObserver, runStudy } from "../runner/run-study.ts";
import type { Store } from "../store/store.ts";
import { type AnswerPair, distinctPairs, gradedAnswers, isUndecided } from "./answer-pairs.ts";
import { JUDGE_RESPONSE_SCHEMA, judgeMessages, parseVerdict } from "./judge-prompt.ts";

/** The judge's model id in its runs and progress lines. */
export const JUDGE_ID = "judge";

/** The judge as a model the runner can call: temperature 0, the study's other settings as given. */
export function judgeModelSpec(judge: JudgeSpec): ModelSpec {
  return { ...judge, id: JUDGE_ID, params: { ...judge.params, temperature: 0 } };
}

/** `openai qwen2.5-7b-instruct`: how reports name the judge. */
export function judgeName(judge: Pick<JudgeSpec, "provider" | "model">): string {
  return `${judge.provider} ${judge.model}`;
}

interface PairCase extends Case, AnswerPair {}

/** The judge's prompt over (reference, answer) pairs, for the runner. */
const judgePrompt = {
  prompt: (pair: Case) => judgeMessages((pair as PairCase).reference, (pair as PairCase).answer),
  caseText: (pair: Case) => `${(pair as PairCase).reference}\n${(pair as PairCase).answer}`,
  responseSchema: () => JUDGE_RESPONSE_SCHEMA,
};

export interface JudgeRunOptions {
  runId: string;
  study: Study & { judge: JudgeSpec };
  cases: readonly Case[];
  store: Store;
  provider: Provider;
  /** The judge's weights digest, when its backend reports one (part of the cache key). */
  digest?: string;
  signal?: AbortSignal;
  /** false: ask the judge again even where the response cache has its answer. */
  useCache?: boolean;
  observers?: RunObserver[];
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface JudgeSummary {
  /** Distinct pairs the deterministic rungs (and the clinicians) left undecided. */
  pairs: number;
  /** Pairs with a stored verdict (an unparseable one included). */
  judged: number;
  /** Pairs whose judge call failed in this pass: still undecided. */
  errors: number;
  /** Every pair has a verdict. */
  complete: boolean;
}

/**
 * Asks the judge about every distinct (reference, answer) pair of a run that grading leaves undecided and
 * no clinician has decided, once per pair, through the runner: the same retries, timeouts and response
 * cache as model calls, so an interrupted or failed pass resumes where it stopped. Verdicts are stored
 * with the run; a failed call is stored as an error and leaves its pair undecided.
 */
export async function judgeRun(options: JudgeRunOptions): Promise<JudgeSummary> {
  const { runId, study, store } = options;
  const decisions = storedDecisions(await store.adjudications(), []);
  const answers = gradedAnswers(study, options.cases, await store.results(runId), decisions);
  const pairs = distinctPairs(answers.filter((answer) => isUndecided(answer.step)));
  const spec = judgeModelSpec(study.judge);
  const judgedBefore = new Set(
    (await store.judgeVerdicts(runId))
      .filter((stored) => stored.verdict !== null)
      .map((stored) => pairKey(stored.reference, stored.answer)),
  );
  const cases: PairCase[] = pairs.map((pair) => ({ id: pairKey(pair.reference, pair.answer), ...pair }));
  const finished = new Set(
    cases.filter((pair) => judgedBefore.has(pair.id)).map((pair) => jobId(JUDGE_ID, pair.id, 0)),
  );
  const byId = new Map(cases.map((pair) => [pair.id, pair]));
  const writer: RunObserver = {
    onJobEnd: ({ result }) => {
      const pair = byId.get(result.caseId) as PairCase;
      const verdict = result.completion === null ? null : parseVerdict(result.completion);
      return store.saveJudgeVerdict(runId, {
        reference: pair.reference,
        answer: pair.answer,
        provider: spec.provider,
        model: spec.model,
        key: result.key,
        verdict: verdict?.verdict ?? null,
        rationale: verdict?.rationale ?? null,
        error: result.error,
        completion: result.completion,
        cached: result.cached,
      });
    },
  };
  const summary = await runStudy({
    runId,
    study: { ...study, models: [spec], samples: 1 },
    cases,
    task: judgePrompt,
    providers: new Map([[JUDGE_ID, options.provider]]),
    cache: store,
    finished,
    signal: options.signal,
    digests: options.digest ? new Map([[JUDGE_ID, options.digest]]) : undefined,
    useCache: options.useCache,
    observers: [writer, ...(options.observers ?? [])],
    sleep: options.sleep,
  });
  return { pairs: pairs.length, judged: summary.done, errors: summary.errors, complete: summary.complete };
}
