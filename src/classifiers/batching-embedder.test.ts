import { describe, expect, it } from "vitest";
import { ProviderError } from "../providers/provider.ts";
import { BatchingEmbedder } from "./batching-embedder.ts";
import { FakeEmbedder } from "./classifier.test-support.ts";

const signal = new AbortController().signal;

describe("BatchingEmbedder", () => {
  it("sends the texts of concurrent calls together, in batches of the inner embedder's size", async () => {
    const inner = new FakeEmbedder(3);
    const embedder = new BatchingEmbedder(inner);
    const texts = ["a", "b", "c", "d", "e"];
    const results = await Promise.all(texts.map((text) => embedder.embed([text], signal)));
    expect(results).toEqual(await Promise.all(texts.map((text) => new FakeEmbedder().embed([text]))));
    expect(inner.calls).toEqual([
      ["a", "b", "c"],
      ["d", "e"],
    ]);
  });

  it("releases a caller whose signal aborts and passes failures to every caller of the batch", async () => {
    const inner = new FakeEmbedder(8);
    inner.embed = async () => {
      throw new ProviderError("connection", "refused");
    };
    const embedder = new BatchingEmbedder(inner);
    const controller = new AbortController();
    const cancelled = embedder.embed(["a"], controller.signal).catch((error: ProviderError) => error.failure);
    controller.abort();
    const failed = embedder.embed(["b"], signal).catch((error: ProviderError) => error.failure);
    expect(await Promise.all([cancelled, failed])).toEqual(["cancelled", "connection"]);
    await embedder.close();
    expect(inner.closed).toBe(true);
  });
});
