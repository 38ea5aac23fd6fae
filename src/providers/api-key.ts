import type { ModelSpec } from "../core/study.ts";

/**
 * The API key named by `spec.apiKeyEnv`; undefined when the spec names none or the variable is unset or
 * empty (many local servers need no key: the call goes without one, and a server that needs one answers
 * 401; commands warn of an unset variable with `unsetApiKeyVariable`).
 */
export function resolveApiKey(spec: Pick<ModelSpec, "apiKeyEnv">): string | undefined {
  return unsetApiKeyVariable(spec) === undefined ? process.env[spec.apiKeyEnv as string]?.trim() : undefined;
}

/** The name of the variable a spec reads its API key from, when that variable is unset or empty. */
export function unsetApiKeyVariable(spec: Pick<ModelSpec, "apiKeyEnv">): string | undefined {
  if (spec.apiKeyEnv === undefined) return undefined;
  const key = process.env[spec.apiKeyEnv];
  return key === undefined || key.trim() === "" ? spec.apiKeyEnv : undefined;
}
