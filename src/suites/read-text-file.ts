import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { InputError } from "../core/errors.ts";

export interface TextFile {
  path: string;
  text: string;
  sha256: string;
}

/** Reads a file that must be UTF-8 text; a missing file or invalid bytes is an InputError naming the line. */
export async function readTextFile(path: string, what = "file"): Promise<TextFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "not found"
        : code === "EISDIR"
          ? "expected, but this is a folder"
          : (error as Error).message;
    throw new InputError(`${what} ${reason}`, { file: path }, "file-unreadable");
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const replaced = new TextDecoder("utf-8").decode(bytes);
    const line = replaced.slice(0, replaced.indexOf("\uFFFD")).split("\n").length;
    throw new InputError(`not valid UTF-8; save the ${what} as UTF-8`, { file: path, line }, "not-utf8");
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { path, text, sha256: createHash("sha256").update(bytes).digest("hex") };
}
