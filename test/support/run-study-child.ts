/**
 * A run in a child process, for the kill test: `node --import tsx run-study-child.ts STORE LOG`.
 * Runs (or resumes) a two-model study over fake providers that answer after a short delay, and appends
 * to LOG one line per model call (`call JOB PID`) and one per result once it is durable (`durable JOB PID`).
 * Prints `{ runId, resumed, summary }` as JSON when done.
 */
import { appendFileSync } from "node:fs";
import { jobId } from "../../src/runner/job-id.ts";
import { type RunObserver, runStudy } from "../../src/runner/run-study.ts";
import { openStore } from "../../src/store/store.ts";
import { createStoreWriter } from "../../src/store/store-writer.ts";
import { hashStudy } from "../../src/store/study-hash.ts";
import {
  caseIdOf,
  completionFor,
  FakeProvider,
  inlineTask,
  makeCases,
  makeStudy,
  waitOrAbort,
} from "./runner-fakes.ts";

const CHILD_STUDY = makeStudy([
  { id: "fast", provider: "openai", model: "model-fast", concurrency: 4 },
  { id: "slow", provider: "openai", model: "model-slow", concurrency: 2 },
]);
const CHILD_CASES = makeCases(50);

/** Base delay of a call per model, plus 0–20 ms at random. */
const delayMs: Record<string, number> = { fast: 5, slow: 30 };

async function main(storePath: string, logPath: string) {
  const log = (line: string) => appendFileSync(logPath, `${line} ${process.pid}\n`);
  const providers = new Map(
    CHILD_STUDY.models.map((spec) => [
      spec.id,
      new FakeProvider(async (request) => {
        const job = jobId(spec.id, caseIdOf(request), 0);
        log(`call ${job}`);
        await waitOrAbort(delayMs[spec.id] + Math.floor(Math.random() * 20), request.signal);
        return completionFor(`${job} answered`, spec.model);
      }),
    ]),
  );
  const durable: RunObserver = {
    onJobEnd: ({ result }) => log(`durable ${jobId(result.modelId, result.caseId, result.sample)}`),
  };

  const store = await openStore(storePath);
  const suite = { id: "cases", source: "cases", sha256: "c".repeat(64), cases: CHILD_CASES };
  const studyHash = hashStudy(CHILD_STUDY, suite.sha256);
  const resumable = await store.findResumableRun(CHILD_STUDY.name, studyHash);
  const run = resumable ?? (await store.createRun({ study: CHILD_STUDY, studyHash, suite }));
  const summary = await runStudy({
    runId: run.id,
    study: CHILD_STUDY,
    cases: CHILD_CASES,
    task: inlineTask,
    providers,
    cache: store,
    finished: await store.finishedJobs(run.id),
    observers: [createStoreWriter(store), durable],
  });
  await store.close();
  process.stdout.write(`${JSON.stringify({ runId: run.id, resumed: resumable !== undefined, summary })}\n`);
}

const [storePath, logPath] = process.argv.slice(2);
if (storePath && logPath) await main(storePath, logPath);
