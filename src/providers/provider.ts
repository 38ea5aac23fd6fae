import type { ChatMessage, Completion, GenerationParams, ModelIdentity } from "../core/chat.ts";

/** JSON schema the answer must follow, for backends that can constrain decoding. */
export type JsonSchema = Record<string, unknown>;

export interface CompletionRequest {
  messages: ChatMessage[];
  params: GenerationParams;
  /** When set, ask the backend for output that follows this JSON schema (where it supports it). */
  responseSchema?: JsonSchema;
  /**
   * The case's own text (presentation or report), for models that read text rather than chat,
   * such as a trained classifier. Chat backends ignore it.
   */
  input?: string;
  /** Aborted on timeout or Ctrl-C. */
  signal: AbortSignal;
}

/**
 * One model behind one backend. Implemented by openai-compatible/, ollama/ and llama-cpp/.
 * `complete` throws a `ProviderError` on failure; the runner decides about retries and records
 * the failure as an `error` outcome.
 */
export interface Provider {
  /** Which backend and model, with digest where the backend reports one. */
  identify(signal: AbortSignal): Promise<ModelIdentity>;
  complete(request: CompletionRequest): Promise<Completion>;
  /** Release what the provider holds (a loaded model, sockets). */
  close(): Promise<void>;
}

export type ProviderFailure =
  | "connection" // refused, reset, DNS, socket closed
  | "timeout"
  | "http" // a non-2xx status; see `status`
  | "malformed" // the server answered 2xx with something that is not a valid completion
  | "cancelled"
  | "model"; // the model could not be loaded or run (in-process)

/** Statuses worth retrying: request timeout, rate limit, server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Milliseconds to wait from an HTTP `Retry-After` value: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its weekday and month ("Sun, 06 Nov 1994 08:49:37 GMT").
  const date = /[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export class ProviderError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly failure: ProviderFailure,
    message: string,
    readonly status?: number,
    retryable?: boolean,
    /** How long the server asked us to wait before trying again (a 429 or 503's `Retry-After`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "ProviderError";
    this.retryable =
      retryable ??
      (failure === "connection" ||
        failure === "timeout" ||
        failure === "malformed" ||
        (failure === "http" && status !== undefined && isRetryableStatus(status)));
  }
}
