import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type {
  ChatHistoryItem,
  ChatWrapper,
  GbnfJsonSchema,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
} from "node-llama-cpp";
import type { ChatMessage, Completion, FinishReason, ModelIdentity } from "../../core/chat.ts";
import type { ModelSpec } from "../../core/study.ts";
import type { CompletionRequest, JsonSchema, Provider } from "../provider.ts";
import { ProviderError } from "../provider.ts";
import { splitResponse } from "./chat-response.ts";

export interface LlamaCppProviderOptions {
  /** Where `hf:` models are looked for and downloaded to. Default `<CLINVAL_HOME or ./.clinval>/models`. */
  modelsDirectory?: string;
  /** Called while an `hf:` model downloads, with bytes so far and the total. */
  onDownloadProgress?: (downloaded: number, total: number) => void;
  /** Base URL of the Hugging Face endpoint; default node-llama-cpp's (which honours `HF_ENDPOINT`). */
  huggingFaceEndpoint?: string;
  /** Offload to a GPU when node-llama-cpp finds one. Default false: CPU only. */
  gpu?: boolean;
  /** CPU threads per decode. Default: 1 for a model file under 256 MB, else every core this process may use. */
  threads?: number;
}

/** Context size per sequence when the study gives none: room for a long reasoning answer. */
const DEFAULT_MAX_CONTEXT_SIZE = 16_384;

/** Below this file size a model decodes fastest on one thread (see `threadsFor`). */
const SMALL_MODEL_BYTES = 256 * 1024 * 1024;

/**
 * An in-process GGUF model run by node-llama-cpp. The model is loaded on first use, with one context of
 * `spec.concurrency` sequences; each concurrent `complete()` call takes its own sequence, starting
 * from an empty history, and the sequences are decoded together in shared batches.
 */
export function createLlamaCppProvider(spec: ModelSpec, options: LlamaCppProviderOptions = {}): Provider {
  return new LlamaCppProvider(spec, options);
}

interface LoadedModel {
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper;
  sequences: SequencePool;
}

class LlamaCppProvider implements Provider {
  private modelPath: Promise<string> | undefined;
  private digest: Promise<string> | undefined;
  private loaded: Promise<LoadedModel> | undefined;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private readonly closing = new AbortController();

  constructor(
    private readonly spec: ModelSpec,
    private readonly options: LlamaCppProviderOptions,
  ) {}

  async identify(signal: AbortSignal): Promise<ModelIdentity> {
    return untilAborted(this.identity(), signal);
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const { signal } = request;
    if (signal.aborted) throw abortFailure(signal);
    const [loaded, identity] = await untilAborted(Promise.all([this.load(), this.identity()]), signal);
    const grammar = request.responseSchema
      ? await untilAborted(this.grammarFor(request.responseSchema), signal)
      : undefined;
    const sequence = await loaded.sequences.acquire(signal);
    try {
      return await this.generate(loaded, sequence, request, grammar, identity);
    } catch (error) {
      if (signal.aborted) throw abortFailure(signal);
      if (error instanceof ProviderError) throw error;
      throw new ProviderError("model", `llama.cpp generation failed: ${errorText(error)}`, undefined, false);
    } finally {
      loaded.sequences.release(sequence);
    }
  }

  async close(): Promise<void> {
    this.closing.abort(new Error("provider closed"));
    const loaded = await this.loaded?.catch(() => undefined);
    this.loaded = undefined;
    this.grammars.clear();
    if (!loaded) return;
    await loaded.context.dispose();
    await loaded.model.dispose();
  }

  private async generate(
    loaded: LoadedModel,
    sequence: LlamaContextSequence,
    request: CompletionRequest,
    grammar: LlamaGrammar | undefined,
    identity: ModelIdentity,
  ): Promise<Completion> {
    const { model, chatWrapper } = loaded;
    const { params, signal } = request;
    const started = performance.now();
    // A fresh history per call: nothing from an earlier case stays in the sequence.
    await sequence.clearHistory();
    const history = toChatHistory(request.messages);
    const promptTokens = chatWrapper
      .generateContextState({ chatHistory: history })
      .contextText.tokenize(model.tokenizer).length;
    const room = sequence.contextSize - promptTokens;
    if (room <= 0) {
      throw new ProviderError(
        "model",
        `the prompt (${promptTokens} tokens) does not fit the context of ${sequence.contextSize} tokens; ` +
          "raise contextSize in the study",
        undefined,
        false,
      );
    }
    // Generation never runs past the context, so llama.cpp never drops the start of the prompt to make room.
    const maxTokens = Math.min(params.maxTokens ?? room, room);
    const chat = new (await loadNodeLlamaCpp()).LlamaChat({ contextSequence: sequence, chatWrapper });
    let completionTokens = 0;
    try {
      const response = await chat.generateResponse(history, {
        maxTokens,
        temperature: params.temperature,
        topP: params.topP,
        topK: params.topK,
        seed: params.seed,
        customStopTriggers: params.stop && params.stop.length > 0 ? params.stop : undefined,
        grammar,
        signal,
        stopOnAbortSignal: false,
        onResponseChunk: (chunk) => {
          completionTokens += chunk.tokens.length;
        },
      });
      const { answer, reasoning } = splitResponse(response.fullResponse);
      return {
        text: answer,
        reasoning,
        finishReason: finishReason(response.metadata.stopReason),
        tokens: {
          prompt: promptTokens,
          completion: completionTokens,
          reasoning: reasoning === null ? 0 : model.tokenize(reasoning).length,
        },
        latencyMs: performance.now() - started,
        model: identity,
      };
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  }

  private resolvedPath(): Promise<string> {
    this.modelPath ??= resolveModelPath(this.spec.model, this.options, this.closing.signal);
    return this.modelPath;
  }

  private identity(): Promise<ModelIdentity> {
    this.digest ??= this.resolvedPath().then(sha256File);
    return Promise.all([this.resolvedPath(), this.digest]).then(([path, digest]) => ({
      provider: "llama-cpp",
      model: basename(path),
      digest,
    }));
  }

  /** Loads once; a failed load is kept, so every later call fails the same way without retrying. */
  private load(): Promise<LoadedModel> {
    this.loaded ??= this.resolvedPath().then((path) => loadModel(path, this.spec, this.options));
    return this.loaded;
  }

  private grammarFor(schema: JsonSchema): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = sharedLlama(this.options.gpu ?? false)
        .then((llama) => llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema as GbnfJsonSchema))
        .catch((error: unknown) => {
          throw new ProviderError(
            "model",
            `the response schema cannot be turned into a grammar: ${errorText(error)}`,
            undefined,
            false,
          );
        });
      this.grammars.set(key, grammar);
    }
    return grammar;
  }
}

async function loadModel(
  path: string,
  spec: ModelSpec,
  options: LlamaCppProviderOptions,
): Promise<LoadedModel> {
  for (const adapter of spec.lora ?? []) await requireFile(adapter, "LoRA adapter");
  const { resolveChatWrapper } = await loadNodeLlamaCpp();
  const llama = await sharedLlama(options.gpu ?? false);
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: path });
  } catch (error) {
    throw new ProviderError(
      "model",
      `cannot load the GGUF model ${path}: ${errorText(error)}`,
      undefined,
      false,
    );
  }
  try {
    const context = await model.createContext({
      sequences: spec.concurrency,
      threads: options.threads ?? (await threadsFor(path)),
      contextSize: spec.contextSize ?? { max: DEFAULT_MAX_CONTEXT_SIZE },
      lora: spec.lora ? { adapters: spec.lora.map((filePath) => ({ filePath })) } : undefined,
    });
    const sequences: LlamaContextSequence[] = [];
    for (let i = 0; i < spec.concurrency; i++) sequences.push(context.getSequence());
    return { model, context, chatWrapper: resolveChatWrapper(model), sequences: new SequencePool(sequences) };
  } catch (error) {
    await model.dispose();
    throw new ProviderError(
      "model",
      `cannot create a context for ${path} (${spec.concurrency} sequences): ${errorText(error)}`,
      undefined,
      false,
    );
  }
}

/**
 * Embeds each text with the model's embedding context (one vector per text, in order). Loads the model
 * for the call and releases it afterwards.
 */
export async function embedTexts(modelPath: string, texts: string[]): Promise<number[][]> {
  await requireFile(modelPath, "GGUF model");
  const llama = await sharedLlama(false);
  const model = await llama.loadModel({ modelPath });
  try {
    const context = await model.createEmbeddingContext({ threads: await threadsFor(modelPath) });
    try {
      const vectors: number[][] = [];
      for (const text of texts) vectors.push([...(await context.getEmbeddingFor(text)).vector]);
      return vectors;
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/**
 * Counts the tokens of each text with the model's own vocabulary (only the vocabulary is loaded, no
 * weights). Special tokens written in the text, such as `<think>`, count as the model would see them.
 */
export async function countTokens(modelPath: string, texts: readonly string[]): Promise<number[]> {
  await requireFile(modelPath, "GGUF model");
  const llama = await sharedLlama(false);
  const model = await llama.loadModel({ modelPath, vocabOnly: true });
  try {
    return texts.map((text) => model.tokenize(text, true).length);
  } finally {
    await model.dispose();
  }
}

type NodeLlamaCpp = typeof import("node-llama-cpp");

let nodeLlamaCpp: Promise<NodeLlamaCpp> | undefined;
const llamas = new Map<boolean, Promise<Llama>>();

/** node-llama-cpp is imported on first use only, so commands that never run a GGUF model do not pay for it. */
function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  nodeLlamaCpp ??= import("node-llama-cpp");
  return nodeLlamaCpp;
}

/**
 * One llama.cpp binding per process (and GPU setting), using the prebuilt binary shipped in npm: never a
 * build from source, never a download. Its thread budget is the number of cores this process may use;
 * node-llama-cpp's default of at least 4 threads makes a 2-core machine crawl.
 */
function sharedLlama(gpu: boolean): Promise<Llama> {
  let llama = llamas.get(gpu);
  if (!llama) {
    llama = loadNodeLlamaCpp().then(({ getLlama, LlamaLogLevel }) =>
      getLlama({
        gpu: gpu ? "auto" : false,
        build: "never",
        usePrebuiltBinaries: true,
        skipDownload: true,
        progressLogs: false,
        logLevel: LlamaLogLevel.error,
        maxThreads: availableParallelism(),
      }),
    );
    llama.catch(() => llamas.delete(gpu));
    llamas.set(gpu, llama);
  }
  return llama;
}

const REMOTE_MODEL = /^(hf:|huggingface:|https?:\/\/)/i;

/** The local file of a model: a path as given, or an `hf:` URI found in (or downloaded to) the models folder. */
async function resolveModelPath(
  model: string,
  options: LlamaCppProviderOptions,
  signal: AbortSignal,
): Promise<string> {
  if (!REMOTE_MODEL.test(model)) {
    const path = resolve(model);
    await requireFile(path, "GGUF model");
    return path;
  }
  const directory = resolve(options.modelsDirectory ?? defaultModelsDirectory());
  const endpoints = options.huggingFaceEndpoint ? { huggingFace: options.huggingFaceEndpoint } : undefined;
  const { resolveModelFile } = await loadNodeLlamaCpp();
  let expectedPath: string;
  try {
    return await resolveModelFile(model, { directory, download: false, cli: false, endpoints });
  } catch (error) {
    expectedPath = expectedModelPath(model, directory, error);
  }
  const offlineHint =
    `Without internet access, download the file on another machine and put it at ${expectedPath}, ` +
    "or set the model to the path of a local .gguf file";
  // The downloader retries a refused connection for minutes; an offline machine should hear it at once.
  const endpoint = downloadOrigin(model, options.huggingFaceEndpoint);
  const unreachable = await probe(endpoint, signal);
  if (unreachable) {
    throw new ProviderError(
      "model",
      `cannot reach ${endpoint} to download ${model} (${unreachable}). ${offlineHint}`,
      undefined,
      false,
    );
  }
  const onDownloadProgress = options.onDownloadProgress;
  try {
    return await resolveModelFile(model, {
      directory,
      cli: false,
      endpoints,
      signal,
      onProgress: onDownloadProgress
        ? ({ downloadedSize, totalSize }) => onDownloadProgress(downloadedSize, totalSize)
        : undefined,
    });
  } catch (error) {
    throw new ProviderError(
      "model",
      `cannot download ${model} (${errorText(error)}). ${offlineHint}`,
      undefined,
      false,
    );
  }
}

/** How long to wait for the download server to answer at all before calling the machine offline. */
const PROBE_TIMEOUT_MS = 10_000;

/** The server a remote model comes from, resolved the way node-llama-cpp resolves it. */
function downloadOrigin(model: string, huggingFaceEndpoint: string | undefined): string {
  if (/^https?:\/\//i.test(model)) return new URL(model).origin;
  const configured = [huggingFaceEndpoint, process.env.MODEL_ENDPOINT, process.env.HF_ENDPOINT].find(
    (candidate): candidate is string => Boolean(candidate && URL.canParse(candidate)),
  );
  return configured ?? "https://huggingface.co/";
}

/** Undefined when `url` answers with any HTTP status; otherwise why it could not be reached. */
async function probe(url: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
      method: "HEAD",
      redirect: "manual",
      signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]),
    });
    await response.body?.cancel();
    return undefined;
  } catch (error) {
    return errorText(error);
  }
}

export function defaultModelsDirectory(): string {
  return join(process.env.CLINVAL_HOME || resolve(".clinval"), "models");
}

/**
 * Where node-llama-cpp looks for the file of an `hf:` URI. A URI naming the file gets its path from
 * node-llama-cpp's own "not found" message; a `hf:owner/repo:quant` URI follows its naming rule
 * (`hf_<owner>_<name>.<QUANT>.gguf`, the repository name kept as a prefix unless it ends in `-GGUF`).
 */
export function expectedModelPath(model: string, directory: string, notFound?: unknown): string {
  const reported = /No model file found at "([^"]+)"/.exec(notFound instanceof Error ? notFound.message : "");
  if (reported) return reported[1];
  const match = /^(?:hf:\/\/|hf:|huggingface:)([^/]+)\/([^/:]+)(?::([^/]+))?$/i.exec(model);
  if (!match) return join(directory, basename(model));
  const [, owner, repository, tag] = match;
  const isGgufRepository = repository.toLowerCase().endsWith("-gguf");
  const base = isGgufRepository ? repository.slice(0, -"-gguf".length) : repository;
  const prefix = isGgufRepository ? `hf_${owner}_` : `hf_${owner}_${repository}_`;
  const quant = tag && tag.toLowerCase() !== "latest" ? tag.toUpperCase() : "Q4_K_M";
  return join(directory, `${prefix}${base}.${quant}.gguf`);
}

/**
 * Threads for a model's decodes. llama.cpp's worker threads wait for each other by spinning, which costs
 * little on an idle machine but, when other processes share the cores (parallel test files, a busy
 * workstation), can make a tiny model a hundred times slower, while a second thread saves it only a
 * fraction of a millisecond per token; so a tiny model gets one thread, a real one every core this
 * process may use.
 */
async function threadsFor(path: string): Promise<number> {
  const { size } = await stat(path);
  return size < SMALL_MODEL_BYTES ? 1 : availableParallelism();
}

async function requireFile(path: string, what: string): Promise<void> {
  const found = await stat(path).catch(() => undefined);
  if (!found?.isFile()) {
    throw new ProviderError("model", `${what} file not found: ${resolve(path)}`, undefined, false);
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((message): ChatHistoryItem => {
    if (message.role === "assistant") return { type: "model", response: [message.content] };
    return { type: message.role, text: message.content };
  });
  history.push({ type: "model", response: [] });
  return history;
}

function finishReason(stopReason: string): FinishReason {
  if (stopReason === "maxTokens") return "length";
  if (
    stopReason === "eogToken" ||
    stopReason === "stopGenerationTrigger" ||
    stopReason === "customStopTrigger"
  ) {
    return "stop";
  }
  return "other";
}

/** The aborted call as a ProviderError: "timeout" when the signal timed out, "cancelled" otherwise. */
function abortFailure(signal: AbortSignal): ProviderError {
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof Error && reason.name === "TimeoutError";
  return timedOut
    ? new ProviderError("timeout", "the llama.cpp generation timed out")
    : new ProviderError("cancelled", "the llama.cpp generation was cancelled");
}

/** Waits for `work`, or fails as soon as `signal` aborts (the work itself goes on, shared with other calls). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortFailure(signal));
  return new Promise<T>((resolvePromise, rejectPromise) => {
    const onAbort = () => rejectPromise(abortFailure(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolvePromise(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        rejectPromise(error);
      },
    );
  });
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  const code = cause instanceof Error && "code" in cause ? String(cause.code) : undefined;
  return code && !error.message.includes(code) ? `${error.message}: ${code}` : error.message;
}

/** Hands each caller its own context sequence; callers beyond the number of sequences wait in order. */
class SequencePool {
  private readonly free: LlamaContextSequence[];
  private readonly waiting: Array<(sequence: LlamaContextSequence) => void> = [];

  constructor(sequences: LlamaContextSequence[]) {
    this.free = [...sequences];
  }

  acquire(signal: AbortSignal): Promise<LlamaContextSequence> {
    const sequence = this.free.pop();
    if (sequence) return Promise.resolve(sequence);
    if (signal.aborted) return Promise.reject(abortFailure(signal));
    return new Promise((resolvePromise, rejectPromise) => {
      const take = (next: LlamaContextSequence) => {
        signal.removeEventListener("abort", onAbort);
        resolvePromise(next);
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(take);
        if (index !== -1) this.waiting.splice(index, 1);
        rejectPromise(abortFailure(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(take);
    });
  }

  release(sequence: LlamaContextSequence): void {
    const next = this.waiting.shift();
    if (next) next(sequence);
    else this.free.push(sequence);
  }
}
