import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A node:http server on 127.0.0.1 and a free port, for tests and benchmarks. */
export interface LoopbackServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** Resolves true after `ms`, or false as soon as the client goes away or the server closes. */
  wait(ms: number, response: ServerResponse): Promise<boolean>;
  close(): Promise<void>;
}

export type LoopbackHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  body: string,
  server: LoopbackServer,
) => void | Promise<void>;

export async function startLoopbackServer(handle: LoopbackHandler): Promise<LoopbackServer> {
  const waiting = new Set<() => void>();
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => {
      const body = Buffer.concat(parts).toString("utf8");
      Promise.resolve()
        .then(() => handle(request, response, body, loopback))
        .catch((error: unknown) => {
          if (response.headersSent) {
            response.destroy();
            return;
          }
          response.writeHead(500, { "content-type": "text/plain" });
          response.end(`test server failed: ${error instanceof Error ? error.message : String(error)}`);
        });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const loopback: LoopbackServer = {
    origin: `http://127.0.0.1:${port}`,
    wait(ms, response) {
      return new Promise<boolean>((resolve) => {
        const finish = (elapsed: boolean) => {
          clearTimeout(timer);
          waiting.delete(cancel);
          response.off("close", cancel);
          resolve(elapsed);
        };
        const cancel = () => finish(false);
        const timer = setTimeout(() => finish(true), ms);
        waiting.add(cancel);
        response.on("close", cancel);
      });
    },
    async close() {
      for (const cancel of [...waiting]) cancel();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return loopback;
}

/** Parses a request body as a JSON object, or returns an empty object. */
export function jsonObject(body: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Sends a whole body with its length; the content type is the one the imitated server sends. */
export function sendBody(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string,
): void {
  response.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
  response.end(body);
}
