import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, type LlamaModel, readGgufFileInfo, resolveChatWrapper } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyGguf, writeTinyLora } from "./tiny-gguf.ts";

let directory: string;
let modelPath: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "clinval-tiny-gguf-"));
  modelPath = join(directory, "tiny.gguf");
  await writeTinyGguf(modelPath);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

describe("writeTinyGguf", () => {
  it("writes a small GGUF v3 file whose bytes depend only on the seed", async () => {
    const again = join(directory, "again.gguf");
    const otherSeed = join(directory, "other-seed.gguf");
    await writeTinyGguf(again, { seed: 1 });
    await writeTinyGguf(otherSeed, { seed: 2 });
    const bytes = await readFile(modelPath);
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("GGUF");
    expect(bytes.readUInt32LE(4)).toBe(3);
    expect(bytes.length).toBeLessThan(3 * 1024 * 1024);
    expect(await sha256(again)).toBe(await sha256(modelPath));
    expect(await sha256(otherSeed)).not.toBe(await sha256(modelPath));
  });

  it("describes a llama model with a SentencePiece vocabulary and a ChatML template", async () => {
    const info = await readGgufFileInfo(modelPath, { readTensorInfo: true });
    const metadata = info.metadata;
    const tokenizer = metadata.tokenizer.ggml;
    const tokens = tokenizer.tokens as string[];
    const types = tokenizer.token_type as number[];
    const byteTokens = Array.from({ length: 256 }, (_, byte) => {
      return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
    });
    const start = tokens.indexOf("<|im_start|>");
    const end = tokens.indexOf("<|im_end|>");
    expect({
      version: info.version,
      architecture: metadata.general.architecture,
      llama: metadata.llama,
      tokenizerModel: tokenizer.model,
      special: tokens.slice(0, 3),
      specialTypes: types.slice(0, 3),
      bytes: tokens.slice(3, 259),
      byteTypes: new Set(types.slice(3, 259)),
      chatMlTypes: [types[start], types[end]],
      endOfSequence: tokenizer.eos_token_id,
      scores: (tokenizer.scores as number[]).length,
      tensors: info.tensorInfo?.length,
      alignedOffsets: info.tensorInfo?.every((tensor) => Number(tensor.offset) % 32 === 0),
    }).toEqual({
      version: 3,
      architecture: "llama",
      llama: {
        context_length: 4096,
        embedding_length: 64,
        block_count: 2,
        feed_forward_length: 128,
        rope: { dimension_count: 16 },
        attention: { head_count: 4, head_count_kv: 4, layer_norm_rms_epsilon: expect.closeTo(1e-5, 9) },
        vocab_size: tokens.length,
      },
      tokenizerModel: "llama",
      special: ["<unk>", "<s>", "</s>"],
      specialTypes: [2, 3, 3],
      bytes: byteTokens,
      byteTypes: new Set([6]),
      chatMlTypes: [3, 3],
      endOfSequence: end,
      scores: tokens.length,
      tensors: 2 + 9 * 2 + 1,
      alignedOffsets: true,
    });
    expect(tokens.length).toBeGreaterThan(1000);
    expect(metadata.tokenizer.chat_template).toContain("<|im_start|>");
  });
});

describe("the tiny model in node-llama-cpp", () => {
  let model: LlamaModel;

  beforeAll(async () => {
    const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, maxThreads: 1 });
    model = await llama.loadModel({ modelPath });
  });

  afterAll(async () => {
    await model?.dispose();
  });

  it("tokenizes any text, whole words as one token and the rest down to bytes", () => {
    const text = "A 27-year-old woman: fever, cough and Ünïcode 日本 😀.";
    expect(model.detokenize(model.tokenize(text))).toBe(text);
    expect(model.tokenize("pneumonia")).toHaveLength(1);
    expect(model.tokenize("<|im_start|>", true)).toHaveLength(1);
  });

  it("gets node-llama-cpp's ChatML wrapper from its chat template", () => {
    expect(resolveChatWrapper(model).wrapperName).toBe("ChatML");
  });

  it("accepts a LoRA adapter written for it", async () => {
    const adapterPath = join(directory, "lora.gguf");
    await writeTinyLora(adapterPath);
    const context = await model.createContext({
      contextSize: 256,
      threads: 1,
      lora: { adapters: [{ filePath: adapterPath }] },
    });
    expect(context.contextSize).toBeGreaterThanOrEqual(256);
    await context.dispose();
  });
});
