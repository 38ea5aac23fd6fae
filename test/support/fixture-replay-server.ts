import { readFileSync } from "node:fs";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { extname } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { jsonObject, startLoopbackServer } from "./loopback-server.ts";

/** One route that answers with a recorded fixture file, byte for byte. */
export interface ReplayRoute {
  method: "GET" | "POST";
  path: string;
  file: string;
  /** Default 200. */
  status?: number;
}

export interface ReplayedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".sse": "text/event-stream; charset=utf-8",
  ".ndjson": "application/x-ndjson",
  ".json": "application/json",
};

/**
 * Serves fixture files on loopback. The body goes out in small slices written on separate turns,
 * so the client sees chunk boundaries in the middle of lines and of multi-byte characters.
 * Other routes answer 404 `{"detail":"Not Found"}`.
 */
export async function startFixtureReplayServer(routes: ReplayRoute[], sliceBytes = 7) {
  const requests: ReplayedRequest[] = [];
  const server = await startLoopbackServer(async (request, response, text) => {
    const path = (request.url ?? "/").split("?")[0];
    requests.push({ method: request.method ?? "", path, headers: request.headers, body: jsonObject(text) });
    const route = routes.find((candidate) => candidate.method === request.method && candidate.path === path);
    if (route === undefined) {
      response.writeHead(404, { "content-type": "application/json" });
      response.end('{"detail":"Not Found"}');
      return;
    }
    const body = readFileSync(route.file);
    response.writeHead(route.status ?? 200, {
      "content-type": CONTENT_TYPES[extname(route.file)] ?? "application/octet-stream",
    });
    await writeInSlices(response, body, sliceBytes);
  });
  return { origin: server.origin, requests, close: () => server.close() };
}

async function writeInSlices(response: ServerResponse, body: Buffer, sliceBytes: number): Promise<void> {
  for (let start = 0; start < body.length; start += sliceBytes) {
    if (response.destroyed) return;
    response.write(body.subarray(start, start + sliceBytes));
    await nextTurn();
  }
  response.end();
}
