// Child process for the benchmark: an OpenAI-compatible server on loopback, so that the server's work
// does not share the measured process's event loop. It answers at once, or after the milliseconds given
// as its first argument.
import { setTimeout as sleep } from "node:timers/promises";
import { startOpenAICompatibleServer } from "../test/support/openai-compatible-server.ts";

const latencyMs = Number(process.argv[2] ?? 0);
const content = '{"diagnoses": ["Community-acquired pneumonia", "Acute bronchitis", "Pulmonary embolism"]}';
const server = await startOpenAICompatibleServer({
  record: false,
  reply: async () => {
    if (latencyMs > 0) await sleep(latencyMs);
    return { content };
  },
});
process.send?.({ url: server.url });
process.on("disconnect", () => {
  void server.close().then(() => process.exit(0));
});
