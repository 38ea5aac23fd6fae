import type { Completion } from "../core/chat.ts";
import type { ProviderFailure } from "../providers/provider.ts";

export interface JobFailure {
  failure: ProviderFailure | "unknown";
  message: string;
  /** HTTP status, when there was one. */
  status?: number;
  /** Calls made before giving up. */
  attempts: number;
}

/** The result of one job (model × case × sample), as the runner produces it and the store keeps it. */
export interface JobResult {
  modelId: string;
  caseId: string;
  sample: number;
  /** Content hash of (backend, model, params, messages, response schema, sample): the response cache key. */
  key: string;
  /** The completion, or null when the call failed (then `error` is set). */
  completion: Completion | null;
  error: JobFailure | null;
  /** True when the completion came from the store, not a model call. */
  cached: boolean;
}
