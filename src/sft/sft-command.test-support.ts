import { Command } from "commander";
import { register } from "../cli/commands/sft.ts";

export interface CommandRun {
  /** What the command threw (the CLI prints an InputError's `describe()` and exits 2). */
  error: unknown;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `clinval sft …` in-process, recording stdout, stderr and the exit code it set. */
export async function runSft(...args: string[]): Promise<CommandRun> {
  const program = new Command("clinval")
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const originalOut = process.stdout.write;
  const originalError = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) =>
    stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) =>
    stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  const previousExitCode = process.exitCode;
  process.exitCode = 0;
  let error: unknown;
  try {
    await program.parseAsync(["sft", ...args], { from: "user" });
  } catch (thrown) {
    error = thrown;
  } finally {
    process.stdout.write = originalOut;
    process.stderr.write = originalError;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = previousExitCode;
  return { error, exitCode, stdout: stdout.join(""), stderr: stderr.join("") };
}
