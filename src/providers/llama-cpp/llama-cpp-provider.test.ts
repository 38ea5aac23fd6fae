import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, GenerationParams } from "../../core/chat.ts";
import type { ModelSpec } from "../../core/study.ts";
import { modelSpecSchema } from "../../core/study-schema.ts";
import type { CompletionRequest, Provider } from "../provider.ts";
import { ProviderError } from "../provider.ts";
import { createLlamaCppProvider, embedTexts, expectedModelPath } from "./llama-cpp-provider.ts";
import { writeTinyGguf, writeTinyLora } from "./tiny-gguf.ts";

const SHARED_MODEL = resolve(import.meta.dirname, "../../../../shared/models/llama-2-tiny-random.gguf");
/** From ../shared/models/README.md. */
const SHARED_MODEL_SHA256 = "81f226c62d28ed4a1a9b9fa080fcd9f0cc40e0f9d5680036583ff98fbcd035cb";

let directory: string;
let modelPath: string;
let modelDigest: string;
let provider: Provider;
const opened: Provider[] = [];

function spec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return modelSpecSchema.parse({ id: "tiny", provider: "llama-cpp", model: modelPath, ...overrides });
}

function open(modelSpec: ModelSpec, options?: Parameters<typeof createLlamaCppProvider>[1]): Provider {
  const created = createLlamaCppProvider(modelSpec, options);
  opened.push(created);
  return created;
}

function request(
  content: string,
  params: GenerationParams = {},
  extra: Partial<CompletionRequest> = {},
): CompletionRequest {
  const messages: ChatMessage[] = [
    { role: "system", content: "You are a careful physician." },
    { role: "user", content },
  ];
  return { messages, params: { temperature: 0, ...params }, signal: new AbortController().signal, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "clinval-llama-cpp-"));
  modelPath = join(directory, "tiny.gguf");
  await writeTinyGguf(modelPath);
  modelDigest = createHash("sha256")
    .update(await readFile(modelPath))
    .digest("hex");
  provider = open(spec({ concurrency: 3 }));
});

afterAll(async () => {
  for (const each of opened) await each.close();
  await rm(directory, { recursive: true, force: true });
});

describe("llama-cpp provider on the generated tiny model", () => {
  it("identifies the model by file name and the sha256 of the file", async () => {
    expect(await provider.identify(new AbortController().signal)).toEqual({
      provider: "llama-cpp",
      model: "tiny.gguf",
      digest: modelDigest,
    });
  });

  it("answers a chat with a complete Completion, stopping at maxTokens with finish reason length", async () => {
    const completion = await provider.complete(request("A woman with fever and cough.", { maxTokens: 8 }));
    expect(completion).toEqual({
      text: expect.any(String),
      reasoning: null,
      finishReason: "length",
      tokens: { prompt: expect.any(Number), completion: 8, reasoning: 0 },
      latencyMs: expect.any(Number),
      model: { provider: "llama-cpp", model: "tiny.gguf", digest: modelDigest },
    });
    expect(completion.text).toMatch(/^[A-Za-z0-9]/);
  });

  it("counts the prompt tokens of the chat-templated messages", async () => {
    const short = await provider.complete(request("A woman with fever.", { maxTokens: 1 }));
    // "pneumonia" is one token of the tiny vocabulary.
    const longer = await provider.complete(request("A woman with fever. pneumonia", { maxTokens: 1 }));
    expect(short.tokens.prompt).toBeGreaterThan(20);
    expect(longer.tokens.prompt).toBe((short.tokens.prompt ?? 0) + 1);
  });

  it("gives the same answer for the same seed, greedy or sampled", async () => {
    const ask = (params: GenerationParams) => provider.complete(request("A child with a rash.", params));
    const greedy = await ask({ temperature: 0, maxTokens: 16 });
    expect((await ask({ temperature: 0, maxTokens: 16 })).text).toBe(greedy.text);
    const sampled = await ask({ temperature: 0.8, topK: 40, topP: 0.95, seed: 7, maxTokens: 16 });
    expect((await ask({ temperature: 0.8, topK: 40, topP: 0.95, seed: 7, maxTokens: 16 })).text).toBe(
      sampled.text,
    );
  });

  it("stops at a stop string, leaving it out of the answer", async () => {
    const free = await provider.complete(request("A man with chest pain.", { maxTokens: 12 }));
    const words = free.text.split(" ");
    expect(words.length).toBeGreaterThan(3);
    const stop = words[3];
    const stopped = await provider.complete(
      request("A man with chest pain.", { maxTokens: 12, stop: [stop] }),
    );
    expect(stopped.finishReason).toBe("stop");
    expect(stopped.text).toBe(free.text.slice(0, free.text.indexOf(stop)).trim());
  });

  it("constrains the answer to a JSON schema", async () => {
    const schema = {
      type: "object",
      properties: { diagnoses: { type: "array", items: { type: "string" }, maxItems: 5 } },
      required: ["diagnoses"],
      additionalProperties: false,
    };
    const completion = await provider.complete(
      request(
        "A woman with fever and cough. List the likely diagnoses.",
        { maxTokens: 400 },
        { responseSchema: schema },
      ),
    );
    expect(completion.finishReason).toBe("stop");
    const answer: unknown = JSON.parse(completion.text);
    expect(answer).toEqual({ diagnoses: expect.any(Array) });
    const { diagnoses } = answer as { diagnoses: unknown[] };
    expect(diagnoses.length).toBeGreaterThan(0);
    expect(diagnoses.length).toBeLessThanOrEqual(5);
    for (const diagnosis of diagnoses) expect(typeof diagnosis).toBe("string");
  });

  it("decodes concurrent calls in parallel on separate sequences, each from a fresh history", async () => {
    const cases = [
      "A man with chest pain.",
      "A child with a rash and fever.",
      "Headache and neck stiffness.",
    ];
    const alone: string[] = [];
    for (const content of cases)
      alone.push((await provider.complete(request(content, { maxTokens: 24 }))).text);

    const finished: number[] = [];
    const together = await Promise.all(
      cases.map(async (content) => {
        const completion = await provider.complete(request(content, { maxTokens: 24 }));
        finished.push(performance.now());
        return { text: completion.text, started: performance.now() - completion.latencyMs };
      }),
    );
    expect(together.map((each) => each.text)).toEqual(alone);
    expect(new Set(alone).size).toBe(3);
    // Every call had its sequence before any call finished: none waited for another.
    const lastStart = Math.max(...together.map((each) => each.started));
    expect(lastStart).toBeLessThan(Math.min(...finished));
  });

  it("reports an aborted generation as cancelled, a timed-out one as timeout, and frees the sequence", async () => {
    const single = open(spec({ concurrency: 1 }));
    const controller = new AbortController();
    const running = single.complete(request("A long answer please.", {}, { signal: controller.signal }));
    const waitingController = new AbortController();
    const waiting = single.complete(request("Queued.", {}, { signal: waitingController.signal }));
    waitingController.abort();
    expect(await rejection(waiting)).toMatchObject({ failure: "cancelled", retryable: false });
    setTimeout(() => controller.abort(), 50);
    expect(await rejection(running)).toMatchObject({ failure: "cancelled", retryable: false });

    const timedOut = single.complete(
      request("A long answer please.", {}, { signal: AbortSignal.timeout(50) }),
    );
    expect(await rejection(timedOut)).toMatchObject({ failure: "timeout", retryable: true });

    const after = await single.complete(request("Still there?", { maxTokens: 4 }));
    expect(after.tokens.completion).toBe(4);
  });

  it("applies LoRA adapters from the model spec", async () => {
    const adapterPath = join(directory, "adapter.gguf");
    await writeTinyLora(adapterPath);
    const adapted = open(spec({ lora: [adapterPath] }));
    const base = await provider.complete(request("A man with chest pain.", { maxTokens: 12 }));
    const withAdapter = await adapted.complete(request("A man with chest pain.", { maxTokens: 12 }));
    expect(withAdapter.text).not.toBe(base.text);
  });

  it("fails with a non-retryable model error naming a missing model or adapter file", async () => {
    const missingModel = join(directory, "absent.gguf");
    const noModel = await rejection(open(spec({ model: missingModel })).complete(request("Hello")));
    expect({ failure: noModel.failure, retryable: noModel.retryable, message: noModel.message }).toEqual({
      failure: "model",
      retryable: false,
      message: `GGUF model file not found: ${missingModel}`,
    });
    const missingAdapter = join(directory, "absent-adapter.gguf");
    const noAdapter = await rejection(open(spec({ lora: [missingAdapter] })).complete(request("Hello")));
    expect(noAdapter.message).toBe(`LoRA adapter file not found: ${missingAdapter}`);
  });
});

describe("llama-cpp provider with hf: models", () => {
  it("finds an hf: model already in the models folder without touching the network", async () => {
    const modelsDirectory = join(directory, "models-present");
    const uri = "hf:clinval/tiny-random-GGUF:Q8_0";
    const expected = expectedModelPath(uri, modelsDirectory);
    await mkdir(modelsDirectory, { recursive: true });
    await copyFile(modelPath, expected);
    const endpoint = `http://127.0.0.1:${await closedPort()}/`;
    const fromHub = open(spec({ model: uri }), { modelsDirectory, huggingFaceEndpoint: endpoint });
    expect(await fromHub.identify(new AbortController().signal)).toEqual({
      provider: "llama-cpp",
      model: basename(expected),
      digest: modelDigest,
    });
  });

  it.each(["hf:clinval/tiny-random-GGUF/tiny-random.Q8_0.gguf", "hf:clinval/tiny-random:Q8_0"])(
    "offline, %s fails at once naming the path to put the file at, where it is then found",
    async (uri) => {
      const modelsDirectory = join(directory, `models-offline-${uri.replace(/\W/g, "-")}`);
      const endpoint = `http://127.0.0.1:${await closedPort()}/`;
      const options = { modelsDirectory, huggingFaceEndpoint: endpoint };
      const failure = await rejection(
        open(spec({ model: uri }), options).identify(new AbortController().signal),
      );
      expect({ failure: failure.failure, retryable: failure.retryable }).toEqual({
        failure: "model",
        retryable: false,
      });
      expect(failure.message).toContain(`cannot reach ${endpoint} to download ${uri}`);
      const named = /put it at (.+?), or set the model/.exec(failure.message)?.[1];
      expect(named && dirname(named)).toBe(modelsDirectory);

      await mkdir(modelsDirectory, { recursive: true });
      await copyFile(modelPath, named ?? "");
      const identity = await open(spec({ model: uri }), options).identify(new AbortController().signal);
      expect(identity).toEqual({ provider: "llama-cpp", model: basename(named ?? ""), digest: modelDigest });
    },
  );
});

describe("llama-cpp provider on the shared llama-2-tiny-random.gguf", () => {
  it("loads and chats (skipped when ../shared/models/llama-2-tiny-random.gguf is absent)", async (context) => {
    context.skip(!existsSync(SHARED_MODEL), `${SHARED_MODEL} is absent; only this check is skipped`);
    const shared = open(spec({ model: SHARED_MODEL }));
    expect(await shared.identify(new AbortController().signal)).toEqual({
      provider: "llama-cpp",
      model: "llama-2-tiny-random.gguf",
      digest: SHARED_MODEL_SHA256,
    });
    const completion = await shared.complete(request("Hello", { maxTokens: 6 }));
    expect({ finishReason: completion.finishReason, completion: completion.tokens.completion }).toEqual({
      finishReason: "length",
      completion: 6,
    });
  });
});

describe("embedTexts", () => {
  it("returns one 64-dimensional vector per text, the same for the same text", async () => {
    const vectors = await embedTexts(modelPath, ["fever", "cough", "fever"]);
    expect(vectors.map((vector) => vector.length)).toEqual([64, 64, 64]);
    expect(vectors[2]).toEqual(vectors[0]);
    expect(vectors[1]).not.toEqual(vectors[0]);
    expect(vectors.flat().every(Number.isFinite)).toBe(true);
    expect(await embedTexts(modelPath, ["cough"])).toEqual([vectors[1]]);
  });
});
