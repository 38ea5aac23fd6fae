import type { Case } from "../core/case.ts";
import type { ChatMessage } from "../core/chat.ts";
import type { ModelSpec, Study } from "../core/study.ts";
import { cacheKey } from "../runner/cache-key.ts";
import { readTextFile } from "../suites/read-text-file.ts";
import type { Task } from "../tasks/task.ts";

export interface PromptShown {
  messages: ChatMessage[];
  /** True when the rebuilt prompt gives the stored request key: it is exactly what the model was sent. */
  verbatim: boolean;
  /** Why the prompt may differ from what was sent, when it is not verified. */
  caveat: string | null;
}

/**
 * The prompt a model was sent, rebuilt from the stored study and case (the store keeps the request's
 * key, not its text), and checked against the stored key: the key hashes the messages, so a match
 * proves the rebuilt prompt is the one sent.
 */
export async function promptFor(options: {
  task: Task;
  study: Study;
  spec: ModelSpec;
  testCase: Case;
  sample: number;
  storedKey: string;
  digest?: string;
}): Promise<PromptShown> {
  const { task, study, spec, testCase, sample } = options;
  let template: string | undefined;
  let caveat: string | null = null;
  if (study.prompt) {
    try {
      template = (await readTextFile(study.prompt, "prompt template")).text;
    } catch {
      caveat = `the study's prompt template ${study.prompt} cannot be read now; shown with clinval's default prompt`;
    }
  }
  const messages = task.prompt(testCase, study, template);
  const key = (digest: string | undefined) =>
    cacheKey({
      spec,
      messages,
      responseSchema: task.responseSchema(study),
      input: task.caseText(testCase),
      sample,
      digest,
    });
  const verbatim = key(options.digest) === options.storedKey || key(undefined) === options.storedKey;
  if (!verbatim && caveat === null) {
    caveat =
      "rebuilt from the study; it does not give the stored request key, so the prompt template or clinval's prompt has changed since the run";
  }
  return { messages, verbatim, caveat: verbatim ? null : caveat };
}
