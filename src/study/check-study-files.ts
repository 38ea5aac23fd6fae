import { accessSync, closeSync, constants, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Study } from "../core/study.ts";

/** A problem with a file or folder the study names, at the study field that names it. */
export interface FileProblem {
  field: Array<string | number>;
  message: string;
}

/**
 * Checks, without changing anything, what the study's files must be before a run starts: the output
 * folder can be created and written, each local GGUF model and LoRA adapter exists and is a GGUF file,
 * each classifier file exists, the prompt template exists.
 */
export function checkStudyFiles(study: Study): FileProblem[] {
  const problems: FileProblem[] = [];
  const outputProblem = writableFolderProblem(study.output);
  if (outputProblem) problems.push({ field: ["output"], message: outputProblem });
  if (study.prompt !== undefined && !isFile(study.prompt)) {
    problems.push({ field: ["prompt"], message: `no prompt template at ${study.prompt}` });
  }
  study.models.forEach((model, index) => {
    if (model.provider === "llama-cpp" && !model.model.startsWith("hf:")) {
      const problem = ggufProblem(model.model, "GGUF model");
      if (problem) problems.push({ field: ["models", index, "model"], message: problem });
    }
    model.lora?.forEach((adapter, position) => {
      const problem = ggufProblem(adapter, "LoRA adapter");
      if (problem) problems.push({ field: ["models", index, "lora", position], message: problem });
    });
    if (model.provider === "classifier" && !isFile(model.model)) {
      problems.push({
        field: ["models", index, "model"],
        message: `no classifier file at ${model.model}: train one with \`clinval train tfidf --suite CASES --out ${model.model}\` (or \`clinval train probe\`)`,
      });
    }
  });
  const judge = study.judge;
  if (judge?.provider === "llama-cpp" && !judge.model.startsWith("hf:")) {
    const problem = ggufProblem(judge.model, "GGUF model");
    if (problem) problems.push({ field: ["judge", "model"], message: problem });
  }
  return problems;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const GGUF_MAGIC = "GGUF";

function ggufProblem(path: string, what: string): string | undefined {
  if (!isFile(path)) return `no ${what} file at ${path}`;
  const magic = Buffer.alloc(GGUF_MAGIC.length);
  const descriptor = openSync(path, "r");
  try {
    readSync(descriptor, magic, 0, magic.length, 0);
  } finally {
    closeSync(descriptor);
  }
  return magic.toString("latin1") === GGUF_MAGIC
    ? undefined
    : `${path} is not a GGUF file (it does not begin with "GGUF"); give a .gguf ${what}`;
}

/** Why `folder` could not be created or written to, or undefined when it can. */
function writableFolderProblem(folder: string): string | undefined {
  let existing = folder;
  for (;;) {
    try {
      const stat = statSync(existing);
      if (!stat.isDirectory()) {
        return existing === folder
          ? `${folder} is a file, not a folder for the reports`
          : `${folder} cannot be created: ${existing} is a file`;
      }
      break;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return `${folder} cannot be created`;
      existing = parent;
    }
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
    return undefined;
  } catch {
    return existing === folder
      ? `${folder} is not writable`
      : `${folder} cannot be created: ${existing} is not writable`;
  }
}
