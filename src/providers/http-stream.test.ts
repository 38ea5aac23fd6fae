import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  classifyFailure,
  errorMessageFromBody,
  HttpConnections,
  readJsonLines,
  readServerSentEventsFrom,
  streamErrorFailure,
} from "./http-stream.ts";
import { ProviderError } from "./provider.ts";

/** The bytes of `text`, cut after every `size` bytes (so cuts fall inside lines and characters). */
async function* bytesOf(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

async function collect(batches: AsyncGenerator<string[]>): Promise<string[]> {
  const collected: string[] = [];
  for await (const batch of batches) collected.push(...batch);
  return collected;
}

/** Each server-sent events reader, as a function from a body's bytes to the data of its events. */
const eventReaders = {
  readServerSentEventsFrom: async (body: AsyncGenerator<Uint8Array>) => {
    const events: string[] = [];
    await readServerSentEventsFrom(Readable.from(body, { objectMode: false }), (batch) =>
      events.push(...batch),
    );
    return events;
  },
};

describe.each(Object.entries(eventReaders))("%s", (_name, readEvents) => {
  const stream = [
    ": keep-alive comment",
    "event: message",
    'data: {"a":"β-hCG"}',
    "",
    "data:no-space",
    "",
    "data: first line",
    "data: second line",
    "id: 7",
    "",
    "",
    "data: [DONE]",
    "",
  ];

  it.each([1, 2, 3, 5, 64, 4096])(
    "gives each event's data whatever the chunk size (%i bytes)",
    async (size) => {
      expect(await readEvents(bytesOf(stream.join("\n"), size))).toEqual([
        '{"a":"β-hCG"}',
        "no-space",
        "first line\nsecond line",
        "[DONE]",
      ]);
    },
  );

  it("accepts CRLF and CR line ends, also when a CRLF is split between chunks", async () => {
    for (const size of [1, 2, 7]) {
      expect(await readEvents(bytesOf("data: a\r\n\r\ndata: b\r\rdata: c\r\n", size))).toEqual([
        "a",
        "b",
        "c",
      ]);
    }
  });

  it("drops a line cut in the middle at the end of the body, keeps complete data lines", async () => {
    expect(await readEvents(bytesOf('data: {"x":1}\n\ndata: {"y":2}\ndata: {"z', 4))).toEqual([
      '{"x":1}',
      '{"y":2}',
    ]);
  });

  it("skips a byte order mark at the start of the body", async () => {
    expect(await readEvents(bytesOf("\uFEFFdata: a\n\n", 2))).toEqual(["a"]);
  });
});

describe("readServerSentEventsFrom", () => {
  it("rejects with what the callback throws and destroys the body", async () => {
    const body = Readable.from(bytesOf("data: a\n\ndata: b\n\n", 9), { objectMode: false });
    const refusal = new Error("not JSON");
    const seen: string[] = [];
    const reading = readServerSentEventsFrom(body, (events) => {
      seen.push(...events);
      throw refusal;
    });
    await expect(reading).rejects.toBe(refusal);
    expect(seen).toEqual(["a"]);
    expect(body.destroyed).toBe(true);
  });

  it("rejects when the body closes before its end", async () => {
    const body = new PassThrough();
    const reading = readServerSentEventsFrom(body, () => {});
    body.write("data: a\n\n");
    body.destroy();
    await expect(reading).rejects.toThrow("Premature close");
  });

  it("rejects with the body's own failure", async () => {
    const body = new PassThrough();
    const reading = readServerSentEventsFrom(body, () => {});
    const failure = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    body.destroy(failure);
    await expect(reading).rejects.toBe(failure);
  });
});

describe("readJsonLines", () => {
  it("gives each non-blank line, including a last line without a newline", async () => {
    expect(await collect(readJsonLines(bytesOf('{"a":1}\n\n{"b":"é"}\r\n{"c":3}', 3)))).toEqual([
      '{"a":1}',
      '{"b":"é"}',
      '{"c":3}',
    ]);
  });
});

describe("errorMessageFromBody", () => {
  it.each([
    [
      '{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","code":404}}',
      "The model `x` does not exist.",
    ],
    [
      '{"object":"error","message":"context too long","type":"BadRequestError","code":400}',
      "context too long",
    ],
    [
      '{"error":"model \\"x\\" not found, try pulling it first"}',
      'model "x" not found, try pulling it first',
    ],
    ['{"detail":"Not Found"}', "Not Found"],
    ["upstream connect error", "upstream connect error"],
    ["", ""],
  ])("%s", (body, message) => {
    expect(errorMessageFromBody(body)).toBe(message);
  });

  it("shortens a long non-JSON body", () => {
    expect(errorMessageFromBody("x".repeat(1000))).toBe(`${"x".repeat(300)}…`);
  });
});

describe("classifyFailure", () => {
  const url = "http://user:secret@127.0.0.1:9/v1/chat/completions";

  it("names a timeout from the signal's TimeoutError reason", () => {
    const signal = AbortSignal.abort(new DOMException("The operation timed out.", "TimeoutError"));
    const failure = classifyFailure(new Error("aborted"), { url, signal }, "connection");
    expect({ ...failure, message: failure.message }).toEqual({
      name: "ProviderError",
      failure: "timeout",
      status: undefined,
      retryable: true,
      message: "timed out waiting for http://127.0.0.1:9/v1/chat/completions: The operation timed out.",
    });
  });

  it("also takes a ProviderError timeout as the reason for a timeout", () => {
    const signal = AbortSignal.abort(new ProviderError("timeout", "no answer within 5 ms"));
    const failure = classifyFailure(new Error("aborted"), { url, signal }, "malformed");
    expect([failure.failure, failure.retryable, failure.message]).toEqual([
      "timeout",
      true,
      "timed out waiting for http://127.0.0.1:9/v1/chat/completions: no answer within 5 ms",
    ]);
  });

  it("names any other abort a cancellation, which is not retried", () => {
    const failure = classifyFailure(new Error("aborted"), { url, signal: AbortSignal.abort() }, "malformed");
    expect([failure.failure, failure.retryable]).toEqual(["cancelled", false]);
  });

  it("keeps the network error's cause and code, and never the URL's credentials", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const failure = classifyFailure(
      new TypeError("fetch failed", { cause }),
      { url, signal: new AbortController().signal },
      "connection",
    );
    expect([failure.failure, failure.retryable, failure.message]).toEqual([
      "connection",
      true,
      "could not reach http://127.0.0.1:9/v1/chat/completions: connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED)",
    ]);
  });

  it("redacts the secret from messages", () => {
    const failure = classifyFailure(
      new Error("bad key sk-123"),
      { url, signal: new AbortController().signal, secret: "sk-123" },
      "malformed",
    );
    expect(failure.message).toBe(
      "response stream cut from http://127.0.0.1:9/v1/chat/completions: bad key [redacted]",
    );
  });
});

describe("streamErrorFailure", () => {
  const request = { url: "http://127.0.0.1:9/api/chat" };

  it("takes the status from the payload's code", () => {
    const failure = streamErrorFailure({ error: { code: 400, message: "bad", type: "x" } }, request);
    expect([failure.failure, failure.status, failure.retryable]).toEqual(["http", 400, false]);
  });

  it("retries an error without a status (Ollama's plain string)", () => {
    const failure = streamErrorFailure({ error: "unexpected EOF" }, request);
    expect([failure.failure, failure.status, failure.retryable, failure.message]).toEqual([
      "http",
      undefined,
      true,
      "error inside the response stream from http://127.0.0.1:9/api/chat: unexpected EOF",
    ]);
  });
});

describe("HttpConnections", () => {
  it("aborts running requests on close and refuses new ones", async () => {
    const inFlight = new HttpConnections();
    const running = inFlight.run(
      new AbortController().signal,
      (signal) =>
        new Promise((_, reject) => {
          signal.addEventListener("abort", () => reject(signal.reason));
        }),
    );
    inFlight.close();
    await expect(running).rejects.toThrow("the provider was closed");
    await expect(inFlight.run(new AbortController().signal, async () => 1)).rejects.toEqual(
      new ProviderError("cancelled", "the provider was closed"),
    );
  });

  it("passes the caller's abort reason on", async () => {
    const inFlight = new HttpConnections();
    const controller = new AbortController();
    const reason = new DOMException("late", "TimeoutError");
    const seen = inFlight.run(
      controller.signal,
      (signal) =>
        new Promise((resolve) => {
          signal.addEventListener("abort", () => resolve(signal.reason));
        }),
    );
    controller.abort(reason);
    expect(await seen).toBe(reason);
  });
});
