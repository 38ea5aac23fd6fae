import { Worker } from "node:worker_threads";
import type { InStatement } from "@libsql/client";

/**
 * Commits transactions on a worker thread with its own connection to the store (WAL mode lets the main
 * connection read meanwhile). Each `commit` resolves once its transaction is durable. The thread starts
 * at the first commit and ends with `close`.
 */
export class WriterThread {
  readonly #url: string;
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(url: string) {
    this.#url = url;
  }

  commit(statements: InStatement[]): Promise<void> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, statements });
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#worker = undefined;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.postMessage({ close: true });
    await exited;
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./write-worker.js", import.meta.url), {
      workerData: { url: this.#url },
    });
    worker.on("message", (message: { id: number; error?: string }) => {
      const waiter = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error === undefined) waiter?.resolve();
      else waiter?.reject(new Error(message.error));
    });
    worker.on("error", (error) => this.#failAll(error));
    worker.on("exit", () => this.#failAll(new Error("the store's writer thread stopped")));
    this.#worker = worker;
    return worker;
  }

  #failAll(error: Error): void {
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
  }
}
