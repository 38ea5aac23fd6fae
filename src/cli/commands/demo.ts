import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { studySchema } from "../../core/study-schema.ts";
import { writeTinyGguf } from "../../providers/llama-cpp/tiny-gguf.ts";
import { prepareStudy } from "../../study/open-study.ts";
import { parsePositiveInteger, STORE_OPTION, storePath } from "../options.ts";
import { executeStudy } from "./run.ts";

export const DEMO_NOTICE =
  "SMOKE DEMO: both models are a tiny generated network with random weights. Their answers are noise and " +
  "every score below is chance. This run shows that the pipeline works end to end on this machine; it says " +
  "nothing about any model's medical ability.";

export function register(program: Command): void {
  program
    .command("demo")
    .description(
      "the whole pipeline offline: writes a tiny random-weight GGUF model, runs the built-in dx-core@1 diagnosis suite\n" +
        "through the in-process engine (two sampling seeds, compared as two models), and writes the report.\n" +
        "A smoke test of this machine's set-up: the scores are chance.",
    )
    .option("--output <folder>", "report folder", "clinval-demo")
    .option(STORE_OPTION.flags, STORE_OPTION.description)
    .option("--new", "start a new run instead of resuming (answers already stored are reused)")
    .option("--limit <n>", "only the first N cases", parsePositiveInteger("--limit"))
    .action(async (options: { output: string; store?: string; new?: boolean; limit?: number }) => {
      const store = storePath(options.store);
      const modelPath = join(resolve(store, ".."), "models", "clinval-tiny-random.gguf");
      // Written every time (0.1 s): a copy left by an older clinval would give other answers.
      process.stderr.write(`Writing a tiny random-weight model to ${modelPath}\n`);
      mkdirSync(dirname(modelPath), { recursive: true });
      await writeTinyGguf(modelPath, { seed: 1 });
      const model = (id: string, seed: number) => ({
        id,
        provider: "llama-cpp" as const,
        model: modelPath,
        concurrency: 4,
        params: { temperature: 1, maxTokens: 96, seed },
      });
      const study = studySchema.parse({
        name: "smoke-demo-random-weights",
        task: "diagnosis",
        // Version 1's 120 cases keep the smoke test near a minute; the pipeline is the same for every version.
        suite: { id: "dx-core@1" },
        models: [model("tiny-random-seed-1", 1), model("tiny-random-seed-2", 2)],
        topK: 5,
        alpha: 0.01,
        subgroups: ["incidence", "specialty"],
        output: resolve(options.output),
        notice: DEMO_NOTICE,
      });
      process.stderr.write(`${DEMO_NOTICE}\n\n`);
      process.exitCode = await executeStudy(await prepareStudy(study), {
        cache: true,
        new: options.new,
        store,
        limit: options.limit,
      });
    });
}
