// The store's writer thread (see docs/decisions/0030-store-writes-off-the-main-thread.md): commits the
// write queue's transactions on its own connection, so that a commit's fsync never blocks the event loop
// that reads model answers. Plain JavaScript, so that it loads the same way under every runtime.
import { parentPort, workerData } from "node:worker_threads";
import { createClient } from "@libsql/client";

const client = createClient({ url: workerData.url, concurrency: 1, timeout: 10_000 });
const ready = client.execute("PRAGMA synchronous = FULL");

parentPort.on("message", async (message) => {
  if (message.close) {
    client.close();
    parentPort.close();
    return;
  }
  try {
    await ready;
    await client.batch(message.statements, "write");
    parentPort.postMessage({ id: message.id });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
