import type { ChatMessage, Completion, GenerationParams } from "../core/chat.ts";
import { type JsonSchema, type Provider, ProviderError } from "../providers/provider.ts";
import { backoffDelay } from "./backoff.ts";
import type { JobFailure } from "./job-result.ts";

export interface CallOptions {
  provider: Provider;
  messages: ChatMessage[];
  params: GenerationParams;
  responseSchema: JsonSchema | undefined;
  /** The case's own text, for models that read text rather than chat. */
  input: string;
  timeoutMs: number;
  /** Retries after the first call, for retryable failures only. */
  retries: number;
  /** The run's signal: once aborted, the call in flight is cancelled and nothing is retried. */
  signal: AbortSignal;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
}

/** A completion, a failure after the retries allowed, or `cancelled` when the run's signal aborted first. */
export type CallOutcome = { completion: Completion } | { failure: JobFailure } | "cancelled";

/**
 * Calls the model with a timeout per call and retries with exponential backoff and full jitter on
 * retryable failures (connection, timeout, 408/429/5xx, malformed). Never throws: every failure
 * becomes a `JobFailure`, and an exception that is not a `ProviderError` becomes failure `unknown`.
 */
export async function callWithRetries(options: CallOptions): Promise<CallOutcome> {
  const { signal, retries } = options;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return "cancelled";
    const outcome = await callOnce(options);
    if ("completion" in outcome) return outcome;
    if (signal.aborted) return "cancelled";
    const { retryable, retryAfterMs, ...failure } = outcome;
    if (!retryable || attempt > retries) return { failure: { ...failure, attempts: attempt } };
    // A server that said how long to wait (Retry-After) is given that long, up to a minute.
    const delay = Math.max(
      backoffDelay(attempt, options.random),
      Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS),
    );
    await options.sleep(delay, signal);
  }
}

type AttemptFailure = Omit<JobFailure, "attempts"> & { retryable: boolean; retryAfterMs?: number };

const MAX_RETRY_AFTER_MS = 60_000;

async function callOnce(options: CallOptions): Promise<{ completion: Completion } | AttemptFailure> {
  const { provider, messages, params, responseSchema, input, timeoutMs, signal } = options;
  const controller = new AbortController();
  let timedOut = false;
  const cancel = () => controller.abort(signal.reason);
  signal.addEventListener("abort", cancel, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new ProviderError("timeout", `no answer within ${timeoutMs} ms`));
  }, timeoutMs);
  try {
    const completion = await new Promise<Completion>((resolve, reject) => {
      // A provider that ignores its signal must not hold the run: the call ends when the signal aborts.
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
      provider
        .complete({ messages, params, responseSchema, input, signal: controller.signal })
        .then(resolve, reject);
    });
    return { completion };
  } catch (error) {
    if (timedOut && !signal.aborted) {
      return { failure: "timeout", message: `no answer within ${timeoutMs} ms`, retryable: true };
    }
    return describeFailure(error);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", cancel);
  }
}

function describeFailure(error: unknown): AttemptFailure {
  if (error instanceof ProviderError) {
    return {
      failure: error.failure,
      message: error.message,
      ...(error.status === undefined ? {} : { status: error.status }),
      retryable: error.retryable,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { failure: "unknown", message: message || "unknown error", retryable: false };
}
