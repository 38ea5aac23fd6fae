import { InputError } from "../core/errors.ts";
import type { ModelSpec } from "../core/study.ts";
import { unsetApiKeyVariable } from "../providers/api-key.ts";
import { defaultStorePath } from "../store/store-path.ts";

/** Parses `--fields presentation=text,accept=synonyms` into a field mapping. */
export function parseFieldMapping(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const mapping: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const [field, column, ...rest] = pair.split("=").map((part) => part.trim());
    if (!field || !column || rest.length > 0) {
      throw new InputError(`"${pair}" is not FIELD=COLUMN`, { field: "--fields" });
    }
    mapping[field] = column;
  }
  return mapping;
}

/** Parses a comma-separated list option such as `--only a,b`. */
export function parseList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

/** Parses a positive whole number option. */
export function parsePositiveInteger(name: string) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      throw new InputError(`must be a positive whole number, not "${text}"`, { field: name });
    return value;
  };
}

/** The `--store` option of every command that reads or writes runs. */
export const STORE_OPTION = {
  flags: "--store <path>",
  description: "store database (default .clinval/clinval.db, or $CLINVAL_HOME/clinval.db)",
} as const;

/** The store named by `--store`, or the default for the working directory. */
export function storePath(option: string | undefined): string {
  return option ?? defaultStorePath(process.cwd());
}

/** One warning line per model whose API-key variable is unset: it is called without a key. */
export function unsetApiKeyWarnings(specs: ReadonlyArray<Pick<ModelSpec, "id" | "apiKeyEnv">>): string {
  return specs
    .flatMap((spec) => {
      const variable = unsetApiKeyVariable(spec);
      return variable === undefined
        ? []
        : [
            `warning: ${spec.id}: environment variable ${variable} is not set; calling without an API key (a server that needs one answers 401)\n`,
          ];
    })
    .join("");
}
