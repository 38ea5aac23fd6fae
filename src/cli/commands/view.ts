import { spawn } from "node:child_process";
import type { Command } from "commander";
import { InputError } from "../../core/errors.ts";
import { DEFAULT_WORKBENCH_PORT } from "../../core/workbench-address.ts";
import { isLoopback } from "../../server/app.ts";
import { startWorkbench } from "../../server/serve.ts";
import { openStore } from "../../store/store.ts";
import { STORE_OPTION, storePath } from "../options.ts";

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(`must be a port number from 0 to 65535, not "${text}"`, { field: "--port" });
  }
  return port;
}

/** The platform's own "open this address" command. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  const child = spawn(command, args, { stdio: "ignore", detached: true });
  child.on("error", () => process.stderr.write(`clinval: could not open a browser; open ${url} yourself\n`));
  child.unref();
}

export function register(program: Command): void {
  program
    .command("view")
    .description(
      "the local workbench: runs, the study report, every answer and its reasoning, reviewers' error-mode codes.\n" +
        "Binds 127.0.0.1 by default; on any other host every request needs the token printed at start-up.",
    )
    .option("--port <n>", "port (0: any free port)", parsePort, DEFAULT_WORKBENCH_PORT)
    .option("--host <address>", "address to bind", "127.0.0.1")
    .option("--open", "open the workbench in the default browser")
    .option(STORE_OPTION.flags, STORE_OPTION.description)
    .action(async (options: { port: number; host: string; open?: boolean; store?: string }) => {
      const store = await openStore(storePath(options.store));
      let running: Awaited<ReturnType<typeof startWorkbench>>;
      try {
        running = await startWorkbench({ store, host: options.host, port: options.port });
      } catch (error) {
        await store.close();
        throw new InputError(
          `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
          {
            field: "--port",
          },
        );
      }
      process.stdout.write(`clinval workbench for ${store.path}\n  ${running.url}\n`);
      if (!isLoopback(options.host)) {
        process.stdout.write(
          `  Bound to ${options.host}: every request needs the token ${running.token}\n` +
            "  (open the address above once, or send `Authorization: Bearer <token>`).\n",
        );
      }
      process.stdout.write("Press Ctrl+C to stop.\n");
      running
        .warm()
        .catch((error: Error) =>
          process.stderr.write(`clinval: analysing the newest run failed: ${error.message}\n`),
        );
      if (options.open) openInBrowser(running.url);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await running.close();
      await store.close();
    });
}
