import { ProviderError } from "../providers/provider.ts";
import type { Embedder, EmbedderIdentity } from "./embedders.ts";

interface Waiting {
  text: string;
  resolve: (vector: number[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the texts of `embed` calls made during one turn of the event loop into batches of the wrapped
 * embedder's `batchSize`, sent one after another. A study's concurrent cases then share embedding calls
 * (a GGUF embedder loads its model once per call). A caller whose signal aborts is released at once; its
 * text still goes out with its batch.
 */
export class BatchingEmbedder implements Embedder {
  private waiting: Waiting[] = [];
  private scheduled = false;
  private sending: Promise<void> = Promise.resolve();
  private readonly closing = new AbortController();

  constructor(private readonly inner: Embedder) {}

  get spec() {
    return this.inner.spec;
  }

  get batchSize() {
    return this.inner.batchSize;
  }

  identify(signal: AbortSignal): Promise<EmbedderIdentity> {
    return this.inner.identify(signal);
  }

  embed(texts: readonly string[], signal: AbortSignal): Promise<number[][]> {
    if (signal.aborted) return Promise.reject(new ProviderError("cancelled", "embedding cancelled"));
    const vectors = Promise.all(
      texts.map(
        (text) => new Promise<number[]>((resolve, reject) => this.waiting.push({ text, resolve, reject })),
      ),
    );
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    return new Promise<number[][]>((resolve, reject) => {
      const abort = () => reject(new ProviderError("cancelled", "embedding cancelled"));
      signal.addEventListener("abort", abort, { once: true });
      vectors.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
    });
  }

  async close(): Promise<void> {
    this.closing.abort(new Error("the classifier was closed"));
    await this.inner.close();
  }

  private flush(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (let start = 0; start < waiting.length; start += this.inner.batchSize) {
      const batch = waiting.slice(start, start + this.inner.batchSize);
      this.sending = this.sending.then(async () => {
        try {
          const vectors = await this.inner.embed(
            batch.map(({ text }) => text),
            this.closing.signal,
          );
          if (vectors.length !== batch.length) {
            throw new ProviderError("malformed", `${vectors.length} embeddings for ${batch.length} texts`);
          }
          for (const [index, { resolve }] of batch.entries()) resolve(vectors[index]);
        } catch (error) {
          for (const { reject } of batch) reject(error);
        }
      });
    }
  }
}
