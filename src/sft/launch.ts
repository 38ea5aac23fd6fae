import { spawn } from "node:child_process";
import { createWriteStream, existsSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { ClinvalError, InputError } from "../core/errors.ts";
import { readTextFile } from "../suites/read-text-file.ts";
import { checkTrainerConfig, loadTrainerSchema, TRAINERS, type Trainer } from "./trainer-schema.ts";
import { readTrainingLine, type TrainingProgress } from "./training-log.ts";

const manifestSchema = z.looseObject({
  schema: z.literal("clinval.sft-recipe/v1"),
  trainer: z.enum(TRAINERS),
  config: z.string().min(1),
  executable: z.string().min(1),
  install: z.string().min(1),
  command: z.array(z.string()).min(1),
});

/** The part of a recipe's manifest that launching needs. */
export type LaunchManifest = z.infer<typeof manifestSchema>;

/** Reads a recipe folder's manifest and checks its (possibly hand-edited) configuration against the trainer's schema. */
export async function readRecipe(folder: string): Promise<{ manifest: LaunchManifest; config: unknown }> {
  const path = join(folder, "recipe.json");
  const file = await readTextFile(path, "recipe manifest (from `clinval sft recipe`)");
  let value: unknown;
  try {
    value = JSON.parse(file.text);
  } catch (error) {
    throw new InputError(`invalid JSON: ${(error as Error).message}`, { file: path }, "invalid-json");
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(issue.message, { file: path, field: issue.path.join(".") }, "invalid-recipe");
  }
  const manifest = parsed.data;
  const configPath = join(folder, manifest.config);
  const config = parse((await readTextFile(configPath, "trainer configuration")).text);
  checkTrainerConfig(
    loadTrainerSchema(manifest.trainer),
    configSections(manifest.trainer, config),
    manifest.config,
  );
  checkChatTemplatePath(folder, manifest, config);
  return { manifest, config };
}

/**
 * A `chat_template_path` naming a Jinja file that is not there would make TRL look it up as a model on the
 * Hugging Face Hub, with a confusing error, after loading the model.
 */
function checkChatTemplatePath(folder: string, manifest: LaunchManifest, config: unknown): void {
  const record = (config ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const [field, value] =
    manifest.trainer === "unsloth"
      ? ["training.chat_template_path", record.training?.chat_template_path]
      : ["chat_template_path", (record as Record<string, unknown>).chat_template_path];
  if (typeof value !== "string" || !/\.(jinja|j2)$/.test(value)) return;
  if (!existsSync(resolve(folder, value))) {
    throw new InputError(
      `${value} is not in the recipe folder (write the recipe again with \`clinval sft recipe\`)`,
      { file: manifest.config, field },
      "missing-chat-template",
    );
  }
}

/** The parts of a trainer's configuration file, keyed by the schema section they are checked against. */
export function configSections(trainer: Trainer, config: unknown): Record<string, unknown> {
  const record = (config ?? {}) as Record<string, unknown>;
  if (trainer === "unsloth") return record;
  if (trainer === "axolotl") {
    const lists = [record.datasets, record.test_datasets].filter(Array.isArray) as unknown[][];
    return { config: record, "datasets[]": lists.flat() };
  }
  return { config: record };
}

/** The full path of an executable on the PATH, or undefined. */
export function findExecutable(name: string, path: string | undefined): string | undefined {
  for (const folder of (path ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(folder, name);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

export interface LaunchOptions {
  /** Environment of the trainer (PATH decides which trainer runs). */
  env: NodeJS.ProcessEnv;
  /** Aborting it stops the trainer as Ctrl-C would: SIGINT to its process group. */
  signal: AbortSignal;
  /** Called with the progress whenever a log line changes it. */
  onProgress: (progress: TrainingProgress) => void;
  /** The folder of this launch's log and resolved configuration. */
  launchFolder: string;
}

export interface LaunchResult {
  exitCode: number | null;
  interrupted: boolean;
  progress: TrainingProgress;
  log: string;
}

/**
 * Runs the recipe's trainer from the recipe folder, writes its output line by line to `train.log` in the
 * launch folder, with the resolved configuration (`resolved-config.json`: manifest, parsed configuration,
 * command) and, at the end, `launch.json` (exit code, interruption, last progress).
 */
export async function launchRecipe(folder: string, options: LaunchOptions): Promise<LaunchResult> {
  const { manifest, config } = await readRecipe(folder);
  if (findExecutable(manifest.executable, options.env.PATH) === undefined) {
    throw new ClinvalError(
      "trainer-missing",
      `${manifest.trainer} is not installed: \`${manifest.executable}\` is not on the PATH. Install it with: ${manifest.install}`,
    );
  }
  await mkdir(options.launchFolder, { recursive: true });
  const startedAt = new Date().toISOString();
  await writeFile(
    join(options.launchFolder, "resolved-config.json"),
    `${JSON.stringify({ manifest, config, command: manifest.command, cwd: folder, startedAt }, null, 2)}\n`,
  );
  const logPath = join(options.launchFolder, "train.log");
  const log = createWriteStream(logPath);
  const child = spawn(manifest.command[0], manifest.command.slice(1), {
    cwd: folder,
    env: { ...options.env, PYTHONUNBUFFERED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let progress: TrainingProgress = {};
  let interrupted = false;
  const onAbort = () => {
    interrupted = true;
    if (child.pid !== undefined) signalGroup(child.pid, "SIGINT");
  };
  options.signal.addEventListener("abort", onAbort, { once: true });
  if (options.signal.aborted) onAbort();
  const readLines = (stream: NodeJS.ReadableStream) => {
    let pending = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      log.write(chunk);
      const parts = (pending + chunk).split(/\r\n|\r|\n/);
      pending = parts.pop() ?? "";
      for (const line of parts) consume(line);
    });
    stream.on("end", () => {
      if (pending !== "") consume(pending);
    });
  };
  const consume = (line: string) => {
    const next = readTrainingLine(progress, line);
    if (next !== progress) {
      progress = next;
      options.onProgress(progress);
    }
  };
  readLines(child.stdout);
  readLines(child.stderr);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve(code ?? (signal === null ? null : 128 + signalNumber(signal))),
    );
  });
  options.signal.removeEventListener("abort", onAbort);
  await new Promise<void>((resolve) => log.end(resolve));
  const result = { exitCode, interrupted, progress, log: logPath };
  await writeFile(
    join(options.launchFolder, "launch.json"),
    `${JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), exitCode, interrupted, progress }, null, 2)}\n`,
  );
  return result;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The trainer has already exited.
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : signal === "SIGKILL" ? 9 : 1;
}
