import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { urlToHttpOptions } from "node:url";
import { ProviderError, parseRetryAfter } from "./provider.ts";

/**
 * HTTP plumbing shared by the `openai` and `ollama` backends: one request with failures
 * classified for the runner, and the two streaming body formats (server-sent events, JSON lines).
 */

/** The `authorization` header for an API key, or no header when there is none. */
export function authorizationHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` };
}

export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Replaced by `[redacted]` wherever it would appear in an error message. */
  secret?: string;
  signal: AbortSignal;
}

/** Where a request went, without any credentials that may be in the URL. */
export function describeUrl(url: string): string {
  if (!URL.canParse(url)) return url.split("@").pop() ?? url;
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** A response whose body has not been read yet. */
export interface HttpResponse {
  status: number;
  statusText: string;
  contentType: string;
  /** The `Retry-After` header, when the server sent one. */
  retryAfter?: string;
  body: IncomingMessage;
}

export function isSuccess(response: HttpResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

/**
 * The connections of one provider: keep-alive sockets (node:http, see
 * docs/decisions/0003-http-backends-use-node-http.md) and the requests in flight, so that `close()`
 * can cancel them and free the sockets. Each request gets its own signal that follows the caller's,
 * keeping its reason, so a timeout stays a timeout.
 */
export class HttpConnections {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, scheduling: "lifo" });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, scheduling: "lifo" });
  private readonly controllers = new Set<AbortController>();
  private readonly targets = new Map<string, { secure: boolean; options: RequestOptions } | undefined>();
  private closed = false;

  async run<T>(signal: AbortSignal, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.closed) throw new ProviderError("cancelled", "the provider was closed");
    const controller = new AbortController();
    const forward = () => controller.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener("abort", forward, { once: true });
    this.controllers.add(controller);
    try {
      return await task(controller.signal);
    } finally {
      signal.removeEventListener("abort", forward);
      this.controllers.delete(controller);
    }
  }

  /** Sends one request and fails with the server's own error (`failureFromResponse`) for a status outside 2xx. */
  async sendExpectingSuccess(request: HttpRequest): Promise<HttpResponse> {
    const response = await this.send(request);
    if (!isSuccess(response)) throw await failureFromResponse(response, request);
    return response;
  }

  /**
   * Sends one request. Resolves with the response whatever its status; rejects only with a
   * `ProviderError`: `connection` when no response came, `timeout` or `cancelled` when the signal fired.
   */
  send(request: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const target = this.target(request.url);
      if (target === undefined) {
        reject(
          new ProviderError(
            "connection",
            `not an http(s) URL: ${request.url.split("@").pop()}`,
            undefined,
            false,
          ),
        );
        return;
      }
      const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
      const headers: Record<string, string> = { ...request.headers };
      if (payload !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(payload));
      }
      const options = { ...target.options, method: request.method, headers, signal: request.signal };
      const outgoing = target.secure
        ? httpsRequest({ ...options, agent: this.httpsAgent })
        : httpRequest({ ...options, agent: this.httpAgent });
      outgoing.once("response", (incoming: IncomingMessage) =>
        resolve({
          status: incoming.statusCode ?? 0,
          statusText: incoming.statusMessage ?? "",
          contentType: String(incoming.headers["content-type"] ?? ""),
          retryAfter: incoming.headers["retry-after"],
          body: incoming,
        }),
      );
      // After the response has arrived, errors surface while its body is read.
      outgoing.on("error", (error) => reject(classifyFailure(error, request, "connection")));
      outgoing.end(payload);
    });
  }

  /** The request options of an http(s) URL, parsed once per URL; undefined for any other URL. */
  private target(url: string): { secure: boolean; options: RequestOptions } | undefined {
    if (this.targets.has(url)) return this.targets.get(url);
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    const target =
      parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")
        ? undefined
        : { secure: parsed.protocol === "https:", options: urlToHttpOptions(parsed) };
    // A provider asks a handful of URLs; the bound only guards against a caller that varies them.
    if (this.targets.size >= 64) this.targets.clear();
    this.targets.set(url, target);
    return target;
  }

  close(): void {
    this.closed = true;
    for (const controller of this.controllers) controller.abort(new Error("the provider was closed"));
    this.controllers.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/**
 * Turns an exception from sending a request or reading a body into a `ProviderError`. An aborted
 * signal wins over the network error it causes: its reason tells a timeout (a `TimeoutError`, as from `AbortSignal.timeout`,
 * or a `ProviderError` of kind `timeout`) from a cancellation.
 * `otherwise` is the kind for a plain network error: `connection` before the response arrived,
 * `malformed` once it was being read (the stream was cut).
 */
export function classifyFailure(
  error: unknown,
  request: Pick<HttpRequest, "url" | "secret" | "signal">,
  otherwise: "connection" | "malformed",
): ProviderError {
  if (error instanceof ProviderError) return error;
  const where = describeUrl(request.url);
  if (request.signal.aborted) {
    const reason: unknown = request.signal.reason;
    const timedOut =
      (reason instanceof ProviderError && reason.failure === "timeout") ||
      (reason instanceof Error && reason.name === "TimeoutError");
    const detail = reason instanceof Error ? reason.message : String(reason);
    return new ProviderError(
      timedOut ? "timeout" : "cancelled",
      redact(`${timedOut ? "timed out" : "cancelled"} waiting for ${where}: ${detail}`, request.secret),
    );
  }
  const cause = causeOf(error);
  const what = otherwise === "connection" ? "could not reach" : "response stream cut from";
  const code = cause.code === undefined ? "" : ` (${cause.code})`;
  return new ProviderError(otherwise, redact(`${what} ${where}: ${cause.message}${code}`, request.secret));
}

function causeOf(error: unknown): { message: string; code?: string } {
  const outer = error instanceof Error ? error : new Error(String(error));
  const inner = outer.cause instanceof Error ? outer.cause : outer;
  const code = (inner as { code?: unknown }).code;
  return { message: inner.message || outer.message, code: typeof code === "string" ? code : undefined };
}

/** A non-2xx response as a `ProviderError` carrying the status and the server's own message. */
export async function failureFromResponse(
  response: HttpResponse,
  request: Pick<HttpRequest, "url" | "secret" | "signal">,
): Promise<ProviderError> {
  let text = "";
  try {
    text = await bodyText(response.body);
  } catch (error) {
    if (request.signal.aborted) return classifyFailure(error, request, "malformed");
  }
  const message = errorMessageFromBody(text) || response.statusText || "no message";
  return new ProviderError(
    "http",
    redact(`HTTP ${response.status} from ${describeUrl(request.url)}: ${message}`, request.secret),
    response.status,
    undefined,
    parseRetryAfter(response.retryAfter),
  );
}

/**
 * The human message in an error body: `{"error": {"message"}}` (OpenAI, vLLM, llama.cpp),
 * `{"object": "error", "message"}` (older vLLM), `{"error": "…"}` (Ollama), `{"detail"}` (FastAPI),
 * or the start of a body that is not JSON.
 */
export function errorMessageFromBody(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  try {
    const message = errorMessageFromObject(JSON.parse(trimmed));
    if (message) return message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
}

export function errorMessageFromObject(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const error = value.error;
  if (typeof error === "string") return error;
  if (isRecord(error) && typeof error.message === "string") return error.message;
  if (typeof value.message === "string") return value.message;
  if (typeof value.detail === "string") return value.detail;
  return undefined;
}

/**
 * An error reported inside a 200 stream (vLLM and llama.cpp send `data: {"error": …}`, Ollama an
 * `{"error": "…"}` line). It carries the server's status when the payload names one; without a
 * status it is treated as a transient server failure.
 */
export function streamErrorFailure(
  payload: Record<string, unknown>,
  request: Pick<HttpRequest, "url" | "secret">,
): ProviderError {
  const message = errorMessageFromObject(payload) ?? JSON.stringify(payload);
  const error = payload.error;
  const code = isRecord(error) ? error.code : payload.code;
  const status = typeof code === "number" && code >= 400 && code <= 599 ? code : undefined;
  return new ProviderError(
    "http",
    redact(`error inside the response stream from ${describeUrl(request.url)}: ${message}`, request.secret),
    status,
    status === undefined ? true : undefined,
  );
}

export function malformed(message: string, request: Pick<HttpRequest, "url" | "secret">): ProviderError {
  return new ProviderError(
    "malformed",
    redact(`${message} (from ${describeUrl(request.url)})`, request.secret),
  );
}

export function redact(message: string, secret: string | undefined): string {
  return secret ? message.replaceAll(secret, "[redacted]") : message;
}

/** Reads a whole body as text; a failure while reading is classified like any other. */
export async function readText(
  response: HttpResponse,
  request: Pick<HttpRequest, "url" | "secret" | "signal">,
): Promise<string> {
  try {
    return await bodyText(response.body);
  } catch (error) {
    throw classifyFailure(error, request, "malformed");
  }
}

async function bodyText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts).toString("utf8");
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A token count reported by a server, or null when it sent none (or something that is not a count). */
export function tokenCount(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : null;
}

/** The start of a text, for error messages. */
export function preview(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** Parses JSON, or returns `undefined` when the text is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The `data` of each server-sent event of `body` (several `data:` lines joined by newlines), in order,
 * in batches: `onEvents` is called with the events each chunk completes. Comments and other fields are
 * skipped. An event is complete at its blank line; at the end of the body, data lines already ended by a
 * newline are still delivered, a line cut in the middle is not. The body is read with its own events
 * rather than async iteration, which costs a few promises per chunk and per layer. Resolves at the end
 * of the body; rejects with what `onEvents` throws (the body is then destroyed), with the body's own
 * failure, or when the body closes before its end.
 */
export function readServerSentEventsFrom(
  body: Readable,
  onEvents: (events: string[]) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const splitter = new LineSplitter();
    const assembler = new EventAssembler();
    let settled = false;
    let first = true;
    const deliver = (lines: string[], atEnd: boolean): boolean => {
      const events: string[] = [];
      assembler.add(lines, events);
      if (atEnd) assembler.end(events);
      if (events.length === 0) return true;
      try {
        onEvents(events);
        return true;
      } catch (error) {
        settled = true;
        body.destroy();
        reject(error);
        return false;
      }
    };
    body.setEncoding("utf8");
    body.on("data", (text: string) => {
      if (settled) return;
      // As TextDecoder does: a byte order mark at the start is not part of the text.
      const chunk = first && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      first = false;
      const lines: string[] = [];
      splitter.push(chunk, lines);
      if (lines.length > 0) deliver(lines, false);
    });
    body.on("end", () => {
      if (settled) return;
      const lines: string[] = [];
      splitter.end(lines, false);
      if (deliver(lines, true)) {
        settled = true;
        resolve();
      }
    });
    body.on("error", (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
    body.on("close", () => {
      if (settled) return;
      settled = true;
      reject(Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
    });
  });
}

/** The data of server-sent events, assembled from their lines. */
class EventAssembler {
  #data: string[] = [];

  /** Appends to `events` the data of each event that `lines` completes (at its blank line). */
  add(lines: readonly string[], events: string[]): void {
    for (const line of lines) {
      if (line === "") {
        const data = this.#data;
        if (data.length > 0) events.push(data.length === 1 ? data[0] : data.join("\n"));
        this.#data = [];
      } else if (line.startsWith("data:")) {
        this.#data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
      }
    }
  }

  /** At the end of the body: data lines of an event without its blank line still count. */
  end(events: string[]): void {
    if (this.#data.length > 0) events.push(this.#data.join("\n"));
    this.#data = [];
  }
}

/** Each non-blank line of a JSON-lines body (Ollama's `application/x-ndjson`), in batches per chunk. */
export async function* readJsonLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  for await (const lines of readLines(body)) {
    const nonBlank = lines.filter((line) => line.trim() !== "");
    if (nonBlank.length > 0) yield nonBlank;
  }
}

/**
 * The lines completed by each chunk, split on `\n`, `\r\n` or `\r` and decoded as UTF-8 across chunk
 * boundaries; a last line without its end counts too.
 */
async function* readLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  const splitter = new LineSplitter();
  for await (const chunk of body) {
    const lines: string[] = [];
    splitter.push(decoder.decode(chunk, { stream: true }), lines);
    if (lines.length > 0) yield lines;
  }
  const lines: string[] = [];
  splitter.push(decoder.decode(), lines);
  splitter.end(lines, true);
  if (lines.length > 0) yield lines;
}

/** Text arriving in chunks, cut into lines. */
class LineSplitter {
  #rest = "";

  /** Appends the lines `text` completes; a `\r` at the very end waits for the next chunk, which may start with `\n`. */
  push(text: string, lines: string[]): void {
    this.#rest = splitLines(this.#rest === "" ? text : this.#rest + text, lines);
  }

  /** At the end of the text: a last line ended by `\r`, and with `keepUnterminated` one not ended at all. */
  end(lines: string[], keepUnterminated: boolean): void {
    const rest = this.#rest;
    this.#rest = "";
    const unterminated = splitLines(rest.endsWith("\r") ? `${rest.slice(0, -1)}\n` : rest, lines);
    if (keepUnterminated && unterminated !== "") lines.push(unterminated);
  }
}

/** Appends the complete lines of `text` to `lines` and returns the rest. */
function splitLines(text: string, lines: string[]): string {
  if (!text.includes("\r")) {
    let start = 0;
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
      lines.push(text.slice(start, end));
      start = end + 1;
    }
    return text.slice(start);
  }
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const character = text.charCodeAt(index);
    if (character === 10) {
      lines.push(text.slice(start, index));
      start = index + 1;
    } else if (character === 13) {
      if (index === text.length - 1) break;
      lines.push(text.slice(start, index));
      if (text.charCodeAt(index + 1) === 10) index++;
      start = index + 1;
    }
  }
  return text.slice(start);
}
