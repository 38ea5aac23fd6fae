import type { Completion, FinishReason, GenerationParams, ModelIdentity } from "../../core/chat.ts";
import type { ModelSpec } from "../../core/study.ts";
import { resolveApiKey } from "../api-key.ts";
import {
  authorizationHeaders,
  classifyFailure,
  describeUrl,
  failureFromResponse,
  HttpConnections,
  type HttpRequest,
  type HttpResponse,
  isRecord,
  isSuccess,
  malformed,
  parseJson,
  preview,
  readServerSentEventsFrom,
  readText,
  streamErrorFailure,
  tokenCount,
} from "../http-stream.ts";
import type { CompletionRequest, JsonSchema, Provider } from "../provider.ts";
import { ProviderError } from "../provider.ts";
import { combineReasoning } from "../reasoning.ts";

export const DEFAULT_OPENAI_BASE_URL = "http://127.0.0.1:8000/v1";

/**
 * A model behind any OpenAI-compatible `/chat/completions` endpoint: vLLM, llama.cpp server,
 * LM Studio, SGLang, Ollama's `/v1`, the DeepSeek API. Answers are streamed (with the usage chunk
 * requested) and must end with `data: [DONE]`; reasoning is read from `reasoning_content` or
 * `reasoning` deltas and from inline `<think>` blocks. Request params override `spec.params`.
 * Throws `InputError` at once when `spec.apiKeyEnv` names an unset variable.
 */
export function createOpenAICompatibleProvider(spec: ModelSpec): Provider {
  const baseUrl = (spec.baseUrl ?? DEFAULT_OPENAI_BASE_URL).replace(/\/+$/, "");
  const apiKey = resolveApiKey(spec);
  const headers = authorizationHeaders(apiKey);
  const streamHeaders = { ...headers, accept: "text/event-stream" };
  const chatUrl = `${baseUrl}/chat/completions`;
  const connections = new HttpConnections();
  let schemaForm: SchemaForm = "json_schema";

  return {
    identify(signal) {
      return connections.run(signal, async (requestSignal) => {
        const request: HttpRequest = {
          method: "GET",
          url: `${baseUrl}/models`,
          headers,
          secret: apiKey,
          signal: requestSignal,
        };
        const response = await connections.send(request);
        const named: ModelIdentity = { provider: "openai", model: spec.model };
        // A server without a model list (404, 405) still answers chat requests: trust the study.
        if (response.status === 404 || response.status === 405) {
          await readText(response, request);
          return named;
        }
        if (!isSuccess(response)) throw await failureFromResponse(response, request);
        const served = servedModelIds(parseJson(await readText(response, request)));
        if (served === undefined) return named;
        if (!served.includes(spec.model)) {
          throw new ProviderError(
            "model",
            `model "${spec.model}" is not served at ${describeUrl(baseUrl)}; the server lists: ${served.join(", ") || "no models"}`,
            undefined,
            false,
          );
        }
        return named;
      });
    },

    complete(completionRequest) {
      return connections.run(completionRequest.signal, async (requestSignal) => {
        const requestIn = (form: SchemaForm): HttpRequest => ({
          method: "POST",
          url: chatUrl,
          body: chatRequestBody(spec, completionRequest, form),
          headers: streamHeaders,
          secret: apiKey,
          signal: requestSignal,
        });
        let request = requestIn(schemaForm);
        const started = performance.now();
        let response: HttpResponse;
        try {
          response = await connections.sendExpectingSuccess(request);
        } catch (error) {
          if (completionRequest.responseSchema === undefined || !refusesJsonSchemaForm(error)) throw error;
          schemaForm = "json_object";
          request = requestIn(schemaForm);
          response = await connections.sendExpectingSuccess(request);
        }
        const answer = await readAnswer(response, request);
        return toCompletion(answer, spec.model, performance.now() - started);
      });
    },

    async close() {
      connections.close();
    },
  };
}

/**
 * How a response schema is sent: OpenAI's `{"type": "json_schema", "json_schema": {name, schema, strict}}`
 * (vLLM, llama.cpp's server, SGLang, LM Studio), or `{"type": "json_object", "schema": …}`, the only
 * form llama-cpp-python's server takes. A provider starts with the first and switches for good when the
 * server refuses it (see `refusesJsonSchemaForm`).
 */
export type SchemaForm = "json_schema" | "json_object";

/** The JSON body of a streamed chat request. `top_k` is not OpenAI's, but vLLM and llama.cpp accept it. */
export function chatRequestBody(
  spec: Pick<ModelSpec, "model" | "params">,
  request: Pick<CompletionRequest, "messages" | "params" | "responseSchema">,
  schemaForm: SchemaForm = "json_schema",
): Record<string, unknown> {
  const params: GenerationParams = { ...spec.params, ...request.params };
  const body: Record<string, unknown> = {
    model: spec.model,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (params.temperature !== undefined) body.temperature = params.temperature;
  if (params.topP !== undefined) body.top_p = params.topP;
  if (params.topK !== undefined) body.top_k = params.topK;
  if (params.maxTokens !== undefined) body.max_tokens = params.maxTokens;
  if (params.seed !== undefined) body.seed = params.seed;
  if (params.stop !== undefined && params.stop.length > 0) body.stop = params.stop;
  if (request.responseSchema !== undefined) {
    body.response_format =
      schemaForm === "json_object"
        ? { type: "json_object", schema: request.responseSchema }
        : responseFormat(request.responseSchema);
  }
  return body;
}

/**
 * Whether a failed request was refused for its `json_schema` response format by a server that knows
 * only `json_object`. llama-cpp-python's server (0.3.x) answers such a request with HTTP 500 and its
 * request validator's message, which names `response_format` and the types it takes
 * (fixtures/llama-cpp-python-0.3-error-500-json-schema.json).
 */
export function refusesJsonSchemaForm(error: unknown): boolean {
  return (
    error instanceof ProviderError &&
    error.failure === "http" &&
    error.message.includes("response_format") &&
    error.message.includes("'json_object'")
  );
}

function responseFormat(schema: JsonSchema): Record<string, unknown> {
  const title =
    typeof schema.title === "string" ? schema.title.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 64) : "";
  return { type: "json_schema", json_schema: { name: title || "response", schema, strict: true } };
}

/** What the server said, gathered from the stream's chunks (or from one non-streamed body). */
interface Answer {
  content: string;
  reasoning: string | null;
  finishReason: string | null;
  usage: Record<string, unknown> | undefined;
  /** llama.cpp's `timings`, used for token counts when no usage was sent. */
  timings: Record<string, unknown> | undefined;
  model: string | undefined;
}

async function readAnswer(response: HttpResponse, request: HttpRequest): Promise<Answer> {
  const gathered = new AnswerBuilder(request);
  // A server that ignores `stream: true` answers with one chat.completion object.
  if (response.contentType.includes("application/json")) {
    const text = await readText(response, request);
    const body = parseJson(text);
    if (!isRecord(body)) throw malformed(`the response is not a JSON object: ${preview(text)}`, request);
    gathered.add(body);
    return gathered.finish();
  }
  let done = false;
  try {
    await readServerSentEventsFrom(response.body, (events) => {
      for (const data of events) {
        if (done) return;
        if (data.trim() === "[DONE]") {
          done = true;
          return;
        }
        const chunk = parseJson(data);
        if (!isRecord(chunk))
          throw malformed(`a stream chunk is not a JSON object: ${preview(data)}`, request);
        gathered.add(chunk);
      }
    });
  } catch (error) {
    throw classifyFailure(error, request, "malformed");
  }
  if (!done) throw malformed("the response stream ended without data: [DONE] (cut before its end)", request);
  const answer = gathered.finish();
  // llama-cpp-python's server, unless started with `interrupt_requests` off, ends a stream at once with
  // `data: [DONE]` when another request is waiting: an answer cut short, not one the model finished.
  if (answer.finishReason === null) {
    throw malformed(
      "the response stream ended with data: [DONE] before any choice had a finish_reason (the server cut the answer short)",
      request,
    );
  }
  return answer;
}

class AnswerBuilder {
  private readonly content: string[] = [];
  private readonly reasoning: string[] = [];
  private sawChoice = false;
  private finishReason: string | null = null;
  private usage: Record<string, unknown> | undefined;
  private timings: Record<string, unknown> | undefined;
  private model: string | undefined;

  constructor(private readonly request: HttpRequest) {}

  add(chunk: Record<string, unknown>): void {
    if (chunk.error !== undefined && chunk.error !== null) throw streamErrorFailure(chunk, this.request);
    if (chunk.object === "error") throw streamErrorFailure(chunk, this.request);
    if (typeof chunk.model === "string" && chunk.model !== "") this.model = chunk.model;
    if (isRecord(chunk.usage)) this.usage = chunk.usage;
    if (isRecord(chunk.timings)) this.timings = chunk.timings;
    const choices = chunk.choices;
    if (choices === undefined || choices === null) return;
    if (!Array.isArray(choices)) throw malformed("`choices` is not a list", this.request);
    for (const choice of choices) {
      if (!isRecord(choice)) throw malformed("a choice is not an object", this.request);
      if (typeof choice.index === "number" && choice.index !== 0) continue;
      this.sawChoice = true;
      const message = isRecord(choice.delta)
        ? choice.delta
        : isRecord(choice.message)
          ? choice.message
          : undefined;
      if (message !== undefined) {
        if (typeof message.content === "string") this.content.push(message.content);
        // vLLM up to 0.10, llama.cpp and DeepSeek send `reasoning_content`; newer vLLM sends `reasoning`.
        const reasoning =
          stringOrUndefined(message.reasoning_content) ?? stringOrUndefined(message.reasoning);
        if (reasoning !== undefined) this.reasoning.push(reasoning);
      }
      if (typeof choice.finish_reason === "string") this.finishReason = choice.finish_reason;
    }
  }

  finish(): Answer {
    if (!this.sawChoice) throw malformed("the response has an empty `choices` list", this.request);
    return {
      content: this.content.join(""),
      reasoning: this.reasoning.length > 0 ? this.reasoning.join("") : null,
      finishReason: this.finishReason,
      usage: this.usage,
      timings: this.timings,
      model: this.model,
    };
  }
}

function toCompletion(answer: Answer, requestedModel: string, latencyMs: number): Completion {
  const { answer: text, reasoning } = combineReasoning(answer.reasoning, answer.content);
  const details = isRecord(answer.usage?.completion_tokens_details)
    ? answer.usage.completion_tokens_details
    : {};
  return {
    text,
    reasoning,
    finishReason: finishReasonOf(answer.finishReason),
    tokens: {
      prompt: tokenCount(answer.usage?.prompt_tokens) ?? promptTokensFromTimings(answer.timings),
      completion: tokenCount(answer.usage?.completion_tokens) ?? tokenCount(answer.timings?.predicted_n),
      reasoning: tokenCount(details.reasoning_tokens),
    },
    latencyMs,
    model: { provider: "openai", model: answer.model ?? requestedModel },
  };
}

export function finishReasonOf(reason: string | null | undefined): FinishReason {
  if (reason === "stop") return "stop";
  if (reason === "length") return "length";
  return "other";
}

/** llama.cpp counts prompt tokens served from its cache (`cache_n`) apart from those it evaluated. */
function promptTokensFromTimings(timings: Record<string, unknown> | undefined): number | null {
  const evaluated = tokenCount(timings?.prompt_n);
  if (evaluated === null) return null;
  return evaluated + (tokenCount(timings?.cache_n) ?? 0);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function servedModelIds(body: unknown): string[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.data)) return undefined;
  return body.data.flatMap((entry) => (isRecord(entry) && typeof entry.id === "string" ? [entry.id] : []));
}
