import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { ChatMessage } from "../../src/core/chat.ts";
import { jsonObject, type LoopbackServer, sendBody, startLoopbackServer } from "./loopback-server.ts";

/**
 * A fake Ollama server on loopback: `POST /api/chat` streamed as JSON lines in the shape of
 * src/providers/ollama/fixtures/chat-thinking.ndjson (`message.thinking` lines, `message.content`
 * lines, then a `"done": true` line with `done_reason` and the token counts), plus `POST /api/show`
 * and `GET /api/tags` for the models it is given. Each chat reply is scripted.
 */

export interface RecordedOllamaRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  model: string | undefined;
  messages: ChatMessage[];
  options: Record<string, unknown>;
  think: unknown;
  format: unknown;
  stream: boolean;
  body: Record<string, unknown>;
}

export interface OllamaChatReply {
  content: string;
  thinking?: string;
  /** Default "stop". */
  doneReason?: string;
  promptEvalCount?: number;
  evalCount?: number;
}

export type OllamaScriptedReply =
  | OllamaChatReply
  /** A non-2xx answer; default body `{"error": "scripted failure"}`. */
  | { status: number; body?: unknown }
  /** Starts streaming, then ends without the `"done": true` line. */
  | { cutMidStream: true }
  /** A stream whose second line is not JSON. */
  | { malformed: true }
  /** Waits (hangs) `delayMs` before answering with `then` (default `{ content: "ok" }`). */
  | { delayMs: number; then?: OllamaScriptedReply }
  /** Closes the connection without answering. */
  | { destroySocket: true };

export interface OllamaServerOptions {
  reply: (request: RecordedOllamaRequest) => OllamaScriptedReply | Promise<OllamaScriptedReply>;
  /** The local models, for `/api/show` (404 for others) and `/api/tags`. */
  models?: Array<{ name: string; digest: string }>;
  record?: boolean;
}

export interface OllamaServer {
  /** Base URL to use as a model's `baseUrl`: `http://127.0.0.1:PORT`. */
  url: string;
  requests: RecordedOllamaRequest[];
  close(): Promise<void>;
}

export async function startOllamaServer(options: OllamaServerOptions): Promise<OllamaServer> {
  const requests: RecordedOllamaRequest[] = [];
  const models = options.models ?? [];
  const server = await startLoopbackServer(async (request, response, text, loopback) => {
    const path = (request.url ?? "/").split("?")[0];
    const body = jsonObject(text);
    if (request.method === "GET" && path === "/api/tags") {
      sendJson(response, 200, {
        models: models.map(({ name, digest }) => ({
          name,
          model: name,
          modified_at: "2025-06-01T18:42:11.637155421+02:00",
          size: 5225376047,
          digest,
          details: { parent_model: "", format: "gguf", family: "qwen3", families: ["qwen3"] },
        })),
      });
      return;
    }
    if (request.method === "POST" && path === "/api/show") {
      const name = typeof body.model === "string" ? body.model : "";
      if (!models.some((model) => withTag(model.name) === withTag(name))) {
        sendJson(response, 404, { error: `model "${name}" not found, try pulling it first` });
        return;
      }
      sendJson(response, 200, {
        parameters: "temperature 0.6",
        template: "{{ .Prompt }}",
        details: { parent_model: "", format: "gguf", family: "qwen3", families: ["qwen3"] },
        model_info: { "general.architecture": "qwen3" },
        capabilities: ["completion", "thinking"],
        modified_at: "2025-06-01T18:42:11.637155421+02:00",
      });
      return;
    }
    if (request.method !== "POST" || path !== "/api/chat") {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("404 page not found");
      return;
    }
    const recorded = record(request, path, body);
    if (options.record !== false) requests.push(recorded);
    await answer(await options.reply(recorded), recorded, request, response, loopback);
  });
  return { url: server.origin, requests, close: () => server.close() };
}

function record(
  request: IncomingMessage,
  path: string,
  body: Record<string, unknown>,
): RecordedOllamaRequest {
  return {
    method: request.method ?? "",
    path,
    headers: request.headers,
    model: typeof body.model === "string" ? body.model : undefined,
    messages: Array.isArray(body.messages) ? (body.messages as ChatMessage[]) : [],
    options:
      typeof body.options === "object" && body.options !== null
        ? (body.options as Record<string, unknown>)
        : {},
    think: body.think,
    format: body.format,
    stream: body.stream !== false,
    body,
  };
}

const CREATED_AT = "2025-06-02T10:15:01.102938Z";

async function answer(
  reply: OllamaScriptedReply,
  recorded: RecordedOllamaRequest,
  request: IncomingMessage,
  response: ServerResponse,
  loopback: LoopbackServer,
): Promise<void> {
  if ("destroySocket" in reply) {
    request.socket.destroy();
    return;
  }
  if ("delayMs" in reply) {
    if (await loopback.wait(reply.delayMs, response)) {
      await answer(reply.then ?? { content: "ok" }, recorded, request, response, loopback);
    }
    return;
  }
  if ("status" in reply) {
    sendJson(response, reply.status, reply.body ?? { error: "scripted failure" });
    return;
  }
  const model = recorded.model ?? "model";
  const line = (message: Record<string, unknown>, extra: Record<string, unknown> = { done: false }) =>
    `${JSON.stringify({ model, created_at: CREATED_AT, message: { role: "assistant", ...message }, ...extra })}\n`;
  if ("cutMidStream" in reply) {
    sendLines(response, line({ content: "1. Ectopic" }));
    return;
  }
  if ("malformed" in reply) {
    sendLines(response, `${line({ content: "1." })}{"model":"${model}","message":{"content":" Ect\n`);
    return;
  }
  let body = "";
  if (reply.thinking !== undefined) body += line({ content: "", thinking: reply.thinking });
  body += line({ content: reply.content });
  body += line(
    { content: "" },
    {
      done_reason: reply.doneReason ?? "stop",
      done: true,
      total_duration: 402118750,
      load_duration: 12830125,
      prompt_eval_count: reply.promptEvalCount ?? 26,
      prompt_eval_duration: 61224000,
      eval_count: reply.evalCount ?? Math.ceil((reply.content.length + (reply.thinking?.length ?? 0)) / 4),
      eval_duration: 326940042,
    },
  );
  sendLines(response, body);
}

function withTag(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1).includes(":") ? name : `${name}:latest`;
}

function sendLines(response: ServerResponse, body: string): void {
  sendBody(response, 200, { "content-type": "application/x-ndjson" }, body);
}

/** Ollama (Go's net/http) labels its JSON with a charset. */
function sendJson(response: ServerResponse, status: number, value: unknown): void {
  sendBody(response, status, { "content-type": "application/json; charset=utf-8" }, JSON.stringify(value));
}
