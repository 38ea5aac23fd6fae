import { isNode, type LineCounter, type parseDocument } from "yaml";
import type { z } from "zod";
import { InputError } from "../core/errors.ts";
import { closestName, keysAt } from "./did-you-mean.ts";

/**
 * A zod issue of a YAML document as an InputError at the line of the field it names. With the document's
 * `schema`, an unknown key that is a slip of the keyboard for a known one gets a "did you mean".
 */
export function issueToError(
  issue: z.core.$ZodIssue,
  document: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  file: string,
  code = "invalid-study",
  schema?: z.ZodType,
): InputError {
  const path = issue.path.map((key) => (typeof key === "symbol" ? String(key) : key));
  let message = issue.message;
  if (issue.code === "invalid_type" && / received undefined$/.test(issue.message)) {
    message = `is required (${issue.expected})`;
  }
  if (issue.code === "invalid_value" && document.getIn(path) === undefined) {
    message = `is required (one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")})`;
  }
  if (issue.code === "unrecognized_keys") {
    const known = schema === undefined ? [] : keysAt(schema, path);
    message = `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys
      .map((key) => {
        const suggestion = closestName(key, known);
        return suggestion === undefined ? `"${key}"` : `"${key}" (did you mean "${suggestion}"?)`;
      })
      .join(", ")}`;
  }
  let line = lineAt(document, lineCounter, path);
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) {
    const keyNode = findKeyNode(document, path, issue.keys[0]);
    if (keyNode !== undefined) line = lineCounter.linePos(keyNode).line;
  }
  return new InputError(message, { file, line, field: path.length > 0 ? path.join(".") : undefined }, code);
}

function findKeyNode(
  document: ReturnType<typeof parseDocument>,
  path: Array<string | number>,
  key: string,
): number | undefined {
  const parent = path.length === 0 ? document.contents : document.getIn(path, true);
  if (parent === null || typeof parent !== "object" || !("items" in parent)) return undefined;
  for (const pair of (parent as { items: Array<{ key: unknown }> }).items) {
    const keyNode = pair.key;
    if (isNode(keyNode) && (keyNode as { value?: unknown }).value === key && keyNode.range)
      return keyNode.range[0];
  }
  return undefined;
}

/** The line of the deepest node of `path` that exists in the document. */
export function lineAt(
  document: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  path: ReadonlyArray<string | number>,
): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}
