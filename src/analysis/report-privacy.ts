import type { ModelSpec } from "../core/study.ts";

/** Providers whose `model` is a file on this machine (a GGUF file, a classifier file). */
const FILE_PROVIDERS = new Set(["llama-cpp", "classifier"]);

/** The last segment of a path, POSIX or Windows. */
function fileName(path: string): string {
  return (
    path
      .split(/[\\/]/)
      .filter((part) => part !== "")
      .at(-1) ?? path
  );
}

/**
 * The model as a report names it: a local model file by its file name only (its digest identifies it),
 * anything else (a server's model name, an `hf:` URI) as given.
 */
export function reportedModelName(spec: Pick<ModelSpec, "provider" | "model">): string {
  if (!FILE_PROVIDERS.has(spec.provider) || spec.model.startsWith("hf:")) return spec.model;
  return /[\\/]/.test(spec.model) ? fileName(spec.model) : spec.model;
}

/** An absolute POSIX path (/a/b…), home-relative path (~/…) or Windows path (C:\…) inside a message. */
const ABSOLUTE_PATH = /(?:~|[A-Za-z]:)?(?:[\\/][^\s"'`()<>[\]{},;:\\/]+){2,}[\\/]?/g;

/** A message with every local path in it reduced to its file name, so that reports show no machine paths. */
export function withoutPaths(message: string): string {
  return message.replace(ABSOLUTE_PATH, (path, offset: number) => {
    const before = message.slice(Math.max(0, offset - 3), offset);
    if (before.endsWith("//") || /[A-Za-z0-9]$/.test(before)) return path; // a URL or a relative fragment
    return fileName(path);
  });
}
