import { basename } from "node:path";
import { countTokens } from "../providers/llama-cpp/llama-cpp-provider.ts";

/** Counts tokens of texts, with a real tokenizer or a stated approximation. */
export interface TokenCounter {
  /** How the counts were made, for the data card. */
  description: string;
  count(texts: readonly string[]): Promise<number[]>;
}

/** Characters per token of the approximation (English clinical text with Llama-style vocabularies). */
const CHARACTERS_PER_TOKEN = 4;

export const approximateTokenCounter: TokenCounter = {
  description: `approximation: one token per ${CHARACTERS_PER_TOKEN} characters, rounded up (give --tokenizer model.gguf for exact counts)`,
  count: async (texts) => texts.map((text) => Math.ceil(text.length / CHARACTERS_PER_TOKEN)),
};

/** The tokenizer of a GGUF model, read through node-llama-cpp (vocabulary only). */
export function ggufTokenCounter(path: string): TokenCounter {
  return {
    description: `tokenizer of ${basename(path)} (GGUF vocabulary via node-llama-cpp, special tokens parsed)`,
    count: (texts) => countTokens(path, texts),
  };
}
