export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Generation parameters, named the same for every backend. Unset means the backend's default. */
export interface GenerationParams {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  seed?: number;
  stop?: string[];
  /** Ask a reasoning model to think (Ollama `think`); ignored by backends without the switch. */
  think?: boolean;
}

/** Which model actually answered, as far as the backend can tell. */
export interface ModelIdentity {
  provider: string;
  model: string;
  /** Content digest of the weights when the backend reports one (Ollama, a local GGUF file). */
  digest?: string;
}

export type FinishReason = "stop" | "length" | "other";

/** One model answer, the same shape from every backend. */
export interface Completion {
  /** The answer, with any reasoning removed. */
  text: string;
  /** The reasoning ("thinking") text, or null when the model gave none. */
  reasoning: string | null;
  finishReason: FinishReason;
  tokens: {
    prompt: number | null;
    completion: number | null;
    /** Tokens spent reasoning, when the backend reports them or they can be counted. */
    reasoning: number | null;
  };
  latencyMs: number;
  model: ModelIdentity;
  /** Set when the answer or the reasoning was longer than the study's cap and was cut: the original lengths. */
  clipped?: { text?: number; reasoning?: number };
  /** The server that answered, for a model served by several `endpoints` (its base URL without credentials). */
  endpoint?: string;
}
