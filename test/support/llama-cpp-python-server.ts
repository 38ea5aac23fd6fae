import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";

/**
 * llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`), run as a child process on
 * loopback for the real-server tests. scripts/ci/install-llama-cpp-server.sh installs it;
 * CLINVAL_LLAMA_CPP_PYTHON names the python of that venv.
 */

/** The venv's python, or undefined (with the reason) when the server is not installed. */
export function llamaCppPython(): { python: string } | { missing: string } {
  const python = process.env.CLINVAL_LLAMA_CPP_PYTHON;
  if (!python) {
    return {
      missing:
        "CLINVAL_LLAMA_CPP_PYTHON is not set: run scripts/ci/install-llama-cpp-server.sh and export its last line",
    };
  }
  if (!existsSync(python)) return { missing: `CLINVAL_LLAMA_CPP_PYTHON=${python} does not exist` };
  return { python };
}

/** One entry of the server's `models` list (the field names are the server's own settings). */
export interface ServedModel {
  /** The name clients ask for, listed by `/v1/models`. */
  alias: string;
  /** Path of the GGUF file. */
  path: string;
  /** Serve `/v1/embeddings` (llama-cpp-python loads the model in embedding mode). */
  embedding?: boolean;
  /** A GGUF LoRA adapter applied to the model. */
  loraPath?: string;
  /** GGUF metadata overrides, `key=type:value`, e.g. `llama.pooling_type=int:1`. */
  metadataOverrides?: string[];
}

export interface LlamaCppPythonServer {
  /** `http://127.0.0.1:PORT/v1` */
  baseUrl: string;
  /** What the server has written to stdout and stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  python: string;
  /** Where the server's config file is written. */
  folder: string;
  /** The first is loaded at start; the server swaps models when a request names another. */
  models: ServedModel[];
  /** How long to wait for `/v1/models`; default 120 s. */
  startTimeoutMs?: number;
}

export async function startLlamaCppPythonServer(options: StartOptions): Promise<LlamaCppPythonServer> {
  const port = await freeLoopbackPort();
  const config = {
    host: "127.0.0.1",
    port,
    // The default ends a stream early (with `data: [DONE]`) whenever another request is waiting.
    interrupt_requests: false,
    models: options.models.map((model) => ({
      model: model.path,
      model_alias: model.alias,
      n_ctx: 2048,
      n_threads: 1,
      n_threads_batch: 1,
      verbose: false,
      ...(model.embedding ? { embedding: true } : {}),
      ...(model.loraPath ? { lora_path: model.loraPath } : {}),
      ...(model.metadataOverrides ? { kv_overrides: model.metadataOverrides } : {}),
    })),
  };
  const configPath = join(options.folder, `llama-cpp-python-${port}.json`);
  await writeFile(configPath, JSON.stringify(config, null, 2));

  const output: string[] = [];
  const child = spawn(options.python, ["-m", "llama_cpp.server", "--config_file", configPath], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const baseUrl = `http://127.0.0.1:${port}/v1`;
  const server: LlamaCppPythonServer = {
    baseUrl,
    log: () => output.join(""),
    stop: () => stopChild(child, exited),
  };
  try {
    await waitForModels(baseUrl, exited, options.startTimeoutMs ?? 120_000);
  } catch (error) {
    await server.stop();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n--- server output ---\n${server.log().slice(-4000)}`);
  }
  return server;
}

async function waitForModels(
  baseUrl: string,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`llama_cpp.server exited with code ${exitCode}`);
    try {
      const response = await fetch(`${baseUrl}/models`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`llama_cpp.server did not answer ${baseUrl}/models within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A port that was free a moment ago on 127.0.0.1. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
