import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Store } from "../store/store.ts";
import { createWorkbench } from "./app.ts";

export interface RunningWorkbench {
  /** Analyses the newest run now, so its first page does not wait for the grading. */
  warm(): Promise<void>;
  /** The address to open, with the token when one is required. */
  url: string;
  token: string | null;
  close(): Promise<void>;
}

/** Serves the workbench on host:port (port 0 picks a free one) until closed. */
export function startWorkbench(options: {
  store: Store;
  host: string;
  port: number;
}): Promise<RunningWorkbench> {
  const { app, token, data } = createWorkbench({ store: options.store, host: options.host });
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, hostname: options.host, port: options.port },
      (info: AddressInfo) => {
        const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
        const base = `http://${host}:${info.port}/`;
        resolve({
          warm: async () => {
            const [newest] = await options.store.listRuns();
            if (newest) await data.analysed(newest);
          },
          url: token === null ? base : `${base}?token=${token}`,
          token,
          close: () =>
            new Promise<void>((done, fail) => {
              server.close((error) => (error ? fail(error) : done()));
              if ("closeAllConnections" in server) server.closeAllConnections();
            }),
        });
      },
    );
    server.once("error", reject);
  });
}
