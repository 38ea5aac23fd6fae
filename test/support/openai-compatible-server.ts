import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { ChatMessage } from "../../src/core/chat.ts";
import { jsonObject, type LoopbackServer, sendBody, startLoopbackServer } from "./loopback-server.ts";

/**
 * A fake OpenAI-compatible server on loopback, answering `POST /v1/chat/completions` in vLLM's
 * streaming shape (see src/providers/openai-compatible/fixtures/vllm-0.8-reasoning-content.sse):
 * a role chunk, `reasoning_content` and `content` deltas, a finish chunk, a usage chunk with empty
 * `choices`, then `data: [DONE]`. Each reply is scripted, so tests can ask for any fault.
 */

/** One chat request as the server received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  model: string | undefined;
  messages: ChatMessage[];
  /** Every body field except `model`, `messages`, `stream` and `stream_options`. */
  params: Record<string, unknown>;
  stream: boolean;
  body: Record<string, unknown>;
}

export interface CompletionReply {
  content: string;
  reasoningContent?: string;
  /** Default "stop". */
  finishReason?: string;
  /** Default: about one token per four characters. */
  usage?: { promptTokens: number; completionTokens: number; reasoningTokens?: number };
  /** The model name in the chunks; default the requested one. */
  model?: string;
}

export type ScriptedReply =
  | CompletionReply
  /** A non-2xx answer; `body` is sent as JSON (or as-is when a string); default a vLLM error body. */
  | { status: number; body?: unknown; retryAfter?: string }
  /** Starts streaming, then ends the response without `data: [DONE]`. */
  | { cutMidStream: true }
  /** A stream whose second chunk is not JSON. */
  | { malformed: true }
  /** A complete stream in which no chunk has a choice. */
  | { emptyChoices: true }
  /** Waits (hangs) `delayMs` before answering with `then` (default `{ content: "ok" }`). */
  | { delayMs: number; then?: ScriptedReply }
  /** Closes the connection without answering. */
  | { destroySocket: true };

export interface OpenAICompatibleServerOptions {
  reply: (request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>;
  /** Ids listed by `GET /v1/models`; without it that route answers 404, like a server with no model list. */
  models?: string[];
  /** Keep every request in `requests` (default true); turn off for long benchmarks. */
  record?: boolean;
  /** While this returns false, every route answers 503, as a replica that is down behind its proxy. */
  available?: () => boolean;
}

export interface OpenAICompatibleServer {
  /** Base URL to use as a model's `baseUrl`: `http://127.0.0.1:PORT/v1`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startOpenAICompatibleServer(
  options: OpenAICompatibleServerOptions,
): Promise<OpenAICompatibleServer> {
  const requests: RecordedRequest[] = [];
  let counter = 0;
  const server = await startLoopbackServer(async (request, response, text, loopback) => {
    const path = (request.url ?? "/").split("?")[0];
    if (options.available?.() === false) {
      sendJson(response, 503, {
        error: { message: "no healthy upstream", type: "ServiceUnavailable", code: 503 },
      });
      return;
    }
    if (request.method === "GET" && path === "/v1/models" && options.models !== undefined) {
      sendJson(response, 200, {
        object: "list",
        data: options.models.map((id) => ({ id, object: "model", created: CREATED, owned_by: "vllm" })),
      });
      return;
    }
    if (request.method !== "POST" || path !== "/v1/chat/completions") {
      sendJson(response, 404, { detail: "Not Found" });
      return;
    }
    const recorded = record(request, path, jsonObject(text));
    if (options.record !== false) requests.push(recorded);
    counter += 1;
    await answer(await options.reply(recorded), recorded, request, response, loopback, `chatcmpl-${counter}`);
  });
  return { url: `${server.origin}/v1`, requests, close: () => server.close() };
}

const CREATED = 1748856901;

function record(request: IncomingMessage, path: string, body: Record<string, unknown>): RecordedRequest {
  const { model, messages, stream, stream_options: _streamOptions, ...params } = body;
  return {
    method: request.method ?? "",
    path,
    headers: request.headers,
    model: typeof model === "string" ? model : undefined,
    messages: Array.isArray(messages) ? (messages as ChatMessage[]) : [],
    params,
    stream: stream === true,
    body,
  };
}

async function answer(
  reply: ScriptedReply,
  recorded: RecordedRequest,
  request: IncomingMessage,
  response: ServerResponse,
  loopback: LoopbackServer,
  id: string,
): Promise<void> {
  if ("destroySocket" in reply) {
    request.socket.destroy();
    return;
  }
  if ("delayMs" in reply) {
    if (await loopback.wait(reply.delayMs, response)) {
      await answer(reply.then ?? { content: "ok" }, recorded, request, response, loopback, id);
    }
    return;
  }
  if ("status" in reply) {
    const body = reply.body ?? {
      error: {
        message: `scripted failure ${reply.status}`,
        type: "InternalServerError",
        param: null,
        code: reply.status,
      },
    };
    if (reply.retryAfter !== undefined) response.setHeader("retry-after", reply.retryAfter);
    if (typeof body === "string") {
      sendBody(response, reply.status, { "content-type": "text/plain" }, body);
    } else {
      sendJson(response, reply.status, body);
    }
    return;
  }
  let model = recorded.model ?? "model";
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: CREATED, model, choices, ...extra })}\n\n`;
  const delta = (content: Record<string, unknown>, finishReason: string | null = null) => ({
    index: 0,
    delta: content,
    logprobs: null,
    finish_reason: finishReason,
  });
  const roleChunk = chunk([delta({ role: "assistant", content: "" })]);

  if ("cutMidStream" in reply) {
    sendStream(response, roleChunk + chunk([delta({ content: "1. Ectopic" })]));
    return;
  }
  if ("malformed" in reply) {
    sendStream(
      response,
      `${roleChunk}data: {"id":"${id}","choices":[{"index":0,"delta":{"content":"1. Ect\n\ndata: [DONE]\n\n`,
    );
    return;
  }
  if ("emptyChoices" in reply) {
    sendStream(
      response,
      `${chunk([])}${chunk([], { usage: usageOf(recorded, { content: "" }) })}data: [DONE]\n\n`,
    );
    return;
  }

  if (reply.model !== undefined) model = reply.model;
  if (!recorded.stream) {
    sendJson(response, 200, {
      id,
      object: "chat.completion",
      created: CREATED,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            reasoning_content: reply.reasoningContent ?? null,
            content: reply.content,
          },
          logprobs: null,
          finish_reason: reply.finishReason ?? "stop",
        },
      ],
      usage: usageOf(recorded, reply),
    });
    return;
  }
  let body = chunk([delta({ role: "assistant", content: "" })]);
  if (reply.reasoningContent !== undefined)
    body += chunk([delta({ reasoning_content: reply.reasoningContent })]);
  const middle = Math.ceil(reply.content.length / 2);
  body += chunk([delta({ content: reply.content.slice(0, middle) })]);
  if (middle < reply.content.length) body += chunk([delta({ content: reply.content.slice(middle) })]);
  body += chunk([{ ...delta({ content: "" }, reply.finishReason ?? "stop"), stop_reason: null }]);
  const streamOptions = recorded.body.stream_options;
  if (
    typeof streamOptions === "object" &&
    streamOptions !== null &&
    Reflect.get(streamOptions, "include_usage") === true
  ) {
    body += chunk([], { usage: usageOf(recorded, reply) });
  }
  sendStream(response, `${body}data: [DONE]\n\n`);
}

function usageOf(recorded: RecordedRequest, reply: CompletionReply): Record<string, unknown> {
  const promptCharacters = recorded.messages.reduce(
    (total, message) => total + (typeof message.content === "string" ? message.content.length : 0),
    0,
  );
  const promptTokens = reply.usage?.promptTokens ?? Math.ceil(promptCharacters / 4);
  const completionTokens =
    reply.usage?.completionTokens ??
    Math.ceil((reply.content.length + (reply.reasoningContent?.length ?? 0)) / 4);
  const usage: Record<string, unknown> = {
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    completion_tokens: completionTokens,
  };
  if (reply.usage?.reasoningTokens !== undefined) {
    usage.completion_tokens_details = { reasoning_tokens: reply.usage.reasoningTokens };
  }
  return usage;
}

function sendStream(response: ServerResponse, body: string): void {
  sendBody(
    response,
    200,
    { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    body,
  );
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  sendBody(response, status, { "content-type": "application/json" }, JSON.stringify(value));
}
