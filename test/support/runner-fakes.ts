import type { Case } from "../../src/core/case.ts";
import type { Completion } from "../../src/core/chat.ts";
import type { Study, StudyInput } from "../../src/core/study.ts";
import { studySchema } from "../../src/core/study-schema.ts";
import { type CompletionRequest, type Provider, ProviderError } from "../../src/providers/provider.ts";
import type { Task } from "../../src/tasks/task.ts";

/** A completion as a backend would return it, answering `text`. */
export function completionFor(text: string, model = "fake-model"): Completion {
  return {
    text,
    reasoning: null,
    finishReason: "stop",
    tokens: { prompt: 10, completion: 5, reasoning: null },
    latencyMs: 1,
    model: { provider: "openai", model },
  };
}

/** A task that asks `<case id>: <text>` and expects nothing in particular. */
export const inlineTask: Task = {
  name: "diagnosis",
  requiredFields: ["text"],
  prompt: (testCase) => [{ role: "user", content: `${testCase.id}: ${String(testCase.text)}` }],
  caseText: (testCase) => String(testCase.text),
  responseSchema: () => undefined,
  grade: () => ({ outcome: "correct" }),
};

/** The case id a prompt of `inlineTask` was built from. */
export function caseIdOf(request: Pick<CompletionRequest, "messages">): string {
  return request.messages[0].content.split(":")[0];
}

export function makeCases(count: number, prefix = "case"): Case[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `${prefix}-${index}`,
    text: `vignette ${index}`,
  }));
}

/** A validated study (with the schema's defaults) around the given models. */
export function makeStudy(models: StudyInput["models"], overrides: Partial<StudyInput> = {}): Study {
  return studySchema.parse({
    name: "fake-study",
    task: "diagnosis",
    suite: { path: "cases.jsonl" },
    models,
    ...overrides,
  });
}

/** Waits `ms`, or rejects with a `cancelled` ProviderError when `signal` aborts first. */
export function waitOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new ProviderError("cancelled", "cancelled"));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ProviderError("cancelled", "cancelled"));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export interface RecordedCall {
  caseId: string;
  /** 1 for the first call for this case, 2 for its first retry, … */
  attempt: number;
  request: CompletionRequest;
}

export type Answer = (request: CompletionRequest, attempt: number) => Completion | Promise<Completion>;

/** A provider that answers with `answer` and records every call and how many ran at once. */
export class FakeProvider implements Provider {
  readonly calls: RecordedCall[] = [];
  inFlight = 0;
  maxInFlight = 0;
  closed = false;

  constructor(
    private readonly answer: Answer = (request) => completionFor(`answer to ${caseIdOf(request)}`),
    private readonly onEvent?: (event: "start" | "end", caseId: string) => void,
  ) {}

  async identify() {
    return { provider: "openai", model: "fake-model" };
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const caseId = caseIdOf(request);
    const attempt = this.calls.filter((call) => call.caseId === caseId).length + 1;
    this.calls.push({ caseId, attempt, request });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.onEvent?.("start", caseId);
    try {
      return await this.answer(request, attempt);
    } finally {
      this.inFlight--;
      this.onEvent?.("end", caseId);
    }
  }

  async close() {
    this.closed = true;
  }

  /** Case ids called, in call order. */
  calledCases(): string[] {
    return this.calls.map((call) => call.caseId);
  }
}
