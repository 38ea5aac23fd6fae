import type { Completion, GenerationParams, ModelIdentity } from "../../core/chat.ts";
import type { ModelSpec } from "../../core/study.ts";
import { resolveApiKey } from "../api-key.ts";
import {
  authorizationHeaders,
  classifyFailure,
  HttpConnections,
  type HttpRequest,
  type HttpResponse,
  isRecord,
  malformed,
  parseJson,
  preview,
  readJsonLines,
  readText,
  streamErrorFailure,
  tokenCount,
} from "../http-stream.ts";
import type { CompletionRequest, Provider } from "../provider.ts";
import { combineReasoning } from "../reasoning.ts";

export const DEFAULT_OLLAMA_BASE_URL = "http://127.0.0.1:11434";

/**
 * A model served by Ollama's native API: `POST /api/chat`, streamed as JSON lines that must end
 * with a `"done": true` line. `params.think` becomes Ollama's `think` switch and the reasoning comes
 * back in `message.thinking` (or inline `<think>` blocks from older servers). Request params
 * override `spec.params`. Once `identify()` has found the model's digest, every completion carries it.
 */
export function createOllamaProvider(spec: ModelSpec): Provider {
  const baseUrl = (spec.baseUrl ?? DEFAULT_OLLAMA_BASE_URL).replace(/\/+$/, "");
  const apiKey = resolveApiKey(spec);
  const headers = authorizationHeaders(apiKey);
  const connections = new HttpConnections();
  let digest: string | undefined;

  return {
    /**
     * `/api/show` has no digest field (it returns the modelfile, parameters, template, details,
     * model_info and capabilities), but it resolves the name exactly as `/api/chat` will and answers
     * 404 for a model that is not pulled. `/api/tags` lists every local model with its manifest
     * `digest`. So: `/api/show` to check the model, then `/api/tags` for the digest.
     */
    identify(signal) {
      return connections.run(signal, async (requestSignal) => {
        const show: HttpRequest = {
          method: "POST",
          url: `${baseUrl}/api/show`,
          body: { model: spec.model },
          headers,
          secret: apiKey,
          signal: requestSignal,
        };
        await readText(await connections.sendExpectingSuccess(show), show);

        const tags: HttpRequest = {
          method: "GET",
          url: `${baseUrl}/api/tags`,
          headers,
          secret: apiKey,
          signal: requestSignal,
        };
        const listed = await connections.sendExpectingSuccess(tags);
        digest = digestOf(parseJson(await readText(listed, tags)), spec.model);
        const identity: ModelIdentity = { provider: "ollama", model: spec.model };
        if (digest !== undefined) identity.digest = digest;
        return identity;
      });
    },

    complete(completionRequest) {
      return connections.run(completionRequest.signal, async (requestSignal) => {
        const request: HttpRequest = {
          method: "POST",
          url: `${baseUrl}/api/chat`,
          body: chatRequestBody(spec, completionRequest),
          headers,
          secret: apiKey,
          signal: requestSignal,
        };
        const started = performance.now();
        const response = await connections.sendExpectingSuccess(request);
        const final = await readChat(response, request);
        return toCompletion(final, spec.model, digest, performance.now() - started);
      });
    },

    async close() {
      connections.close();
    },
  };
}

/** The JSON body of a streamed `/api/chat` request. */
export function chatRequestBody(
  spec: Pick<ModelSpec, "model" | "params">,
  request: Pick<CompletionRequest, "messages" | "params" | "responseSchema">,
): Record<string, unknown> {
  const params: GenerationParams = { ...spec.params, ...request.params };
  const options: Record<string, unknown> = {};
  if (params.temperature !== undefined) options.temperature = params.temperature;
  if (params.topP !== undefined) options.top_p = params.topP;
  if (params.topK !== undefined) options.top_k = params.topK;
  if (params.maxTokens !== undefined) options.num_predict = params.maxTokens;
  if (params.seed !== undefined) options.seed = params.seed;
  if (params.stop !== undefined && params.stop.length > 0) options.stop = params.stop;
  const body: Record<string, unknown> = {
    model: spec.model,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
    stream: true,
    options,
  };
  if (params.think !== undefined) body.think = params.think;
  if (request.responseSchema !== undefined) body.format = request.responseSchema;
  return body;
}

interface ChatResult {
  content: string;
  thinking: string | null;
  doneReason: string | undefined;
  promptEvalCount: unknown;
  evalCount: unknown;
  model: string | undefined;
}

async function readChat(response: HttpResponse, request: HttpRequest): Promise<ChatResult> {
  const content: string[] = [];
  const thinking: string[] = [];
  let final: Record<string, unknown> | undefined;
  let model: string | undefined;
  try {
    for await (const lines of readJsonLines(response.body)) {
      for (const line of lines) {
        if (final !== undefined) break;
        const chunk = parseJson(line);
        if (!isRecord(chunk))
          throw malformed(`a stream line is not a JSON object: ${preview(line)}`, request);
        if (chunk.error !== undefined && chunk.error !== null) throw streamErrorFailure(chunk, request);
        if (typeof chunk.model === "string" && chunk.model !== "") model = chunk.model;
        const message = chunk.message;
        if (isRecord(message)) {
          if (typeof message.content === "string") content.push(message.content);
          if (typeof message.thinking === "string") thinking.push(message.thinking);
        }
        if (chunk.done === true) final = chunk;
      }
    }
  } catch (error) {
    throw classifyFailure(error, request, "malformed");
  }
  if (final === undefined) {
    throw malformed('the response stream ended without a "done": true line (cut before its end)', request);
  }
  return {
    content: content.join(""),
    thinking: thinking.length > 0 ? thinking.join("") : null,
    doneReason: typeof final.done_reason === "string" ? final.done_reason : undefined,
    promptEvalCount: final.prompt_eval_count,
    evalCount: final.eval_count,
    model,
  };
}

function toCompletion(
  result: ChatResult,
  requestedModel: string,
  digest: string | undefined,
  latencyMs: number,
): Completion {
  const { answer, reasoning } = combineReasoning(result.thinking, result.content);
  const model: ModelIdentity = { provider: "ollama", model: result.model ?? requestedModel };
  if (digest !== undefined) model.digest = digest;
  return {
    text: answer,
    reasoning,
    finishReason: result.doneReason === "stop" ? "stop" : result.doneReason === "length" ? "length" : "other",
    // Ollama reports no separate count of thinking tokens: `eval_count` includes them.
    tokens: {
      prompt: tokenCount(result.promptEvalCount),
      completion: tokenCount(result.evalCount),
      reasoning: null,
    },
    latencyMs,
    model,
  };
}

/** The digest `/api/tags` lists for `model`; a name without a tag means `:latest`, as in Ollama. */
export function digestOf(tags: unknown, model: string): string | undefined {
  if (!isRecord(tags) || !Array.isArray(tags.models)) return undefined;
  const wanted = withTag(model);
  for (const entry of tags.models) {
    if (!isRecord(entry) || typeof entry.digest !== "string" || entry.digest === "") continue;
    const names = [entry.name, entry.model].filter((name): name is string => typeof name === "string");
    if (names.some((name) => withTag(name) === wanted)) return entry.digest;
  }
  return undefined;
}

function withTag(name: string): string {
  const lastPart = name.slice(name.lastIndexOf("/") + 1);
  return lastPart.includes(":") ? name : `${name}:latest`;
}
