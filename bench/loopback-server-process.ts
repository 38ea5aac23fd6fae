// Child process for the benchmark: an instant OpenAI-compatible server on loopback, so that the
// server's work does not share the measured process's event loop.
import { startOpenAICompatibleServer } from "../test/support/openai-compatible-server.ts";

const server = await startOpenAICompatibleServer({
  record: false,
  reply: () => ({
    content: '{"diagnoses": ["Community-acquired pneumonia", "Acute bronchitis", "Pulmonary embolism"]}',
  }),
});
process.send?.({ url: server.url });
process.on("disconnect", () => {
  void server.close().then(() => process.exit(0));
});
