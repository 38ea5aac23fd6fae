import type { DiagnosisCase, Suite } from "../core/case.ts";
import type { ReasoningCode, ReasoningCodeValue } from "../core/error-modes.ts";
import type { Study } from "../core/study.ts";
import type { JobResult } from "../runner/job-result.ts";
import { failed, makeStudy } from "./analysis.test-support.ts";

/**
 * Hand-built answers of two models, A and B, on four cases, each written to raise known error modes
 * (graded by the real diagnosis task):
 * - A c1: names appendicitis only in its reasoning (drift), lists neither appendicitis (red flag:
 *   must-not-miss absent) and puts ectopic pregnancy below mesenteric adenitis (inversion);
 * - A c2: never addresses the thunderclap onset and omits subarachnoid haemorrhage (red flag);
 * - A c3: clean; A c4: failed (connection refused);
 * - B c1: clean; B c2: lists subarachnoid haemorrhage below migraine (inversion);
 * - B c3: no reasoning, omits pulmonary embolism and the pleuritic pain (red flag); B c4: clean.
 */
export function errorModeScenario(): { study: Study; suite: Suite<DiagnosisCase>; results: JobResult[] } {
  const study = makeStudy({
    name: "error-modes",
    models: [
      { id: "A", provider: "ollama", model: "a:latest" },
      { id: "B", provider: "ollama", model: "b:latest" },
    ],
    topK: 5,
  });
  const cases: DiagnosisCase[] = [
    {
      id: "c1",
      presentation: "A 24-year-old woman with right iliac fossa pain and guarding.",
      diagnosis: "Acute appendicitis",
      redFlags: ["guarding"],
      mustNotMiss: ["Ectopic pregnancy", "Acute appendicitis"],
    },
    {
      id: "c2",
      presentation: "A 50-year-old man with a sudden, thunderclap headache while lifting.",
      diagnosis: "Subarachnoid haemorrhage",
      redFlags: ["thunderclap onset"],
      mustNotMiss: ["Subarachnoid haemorrhage"],
    },
    {
      id: "c3",
      presentation: "A 35-year-old woman after a long flight with pleuritic chest pain.",
      diagnosis: "Pulmonary embolism",
      redFlags: ["pleuritic chest pain"],
      mustNotMiss: ["Pulmonary embolism"],
    },
    { id: "c4", presentation: "A 20-year-old with a recurrent throbbing headache.", diagnosis: "Migraine" },
  ];
  const suite: Suite<DiagnosisCase> = {
    id: "error-modes",
    source: "error-modes.jsonl",
    sha256: "0".repeat(64),
    cases,
  };
  const results = [
    answer("A", "c1", "Guarding points to peritonism; acute appendicitis is possible.", [
      "Non-specific abdominal pain",
      "Ectopic pregnancy",
    ]),
    answer("A", "c2", "A headache in a man who strained: probably benign.", [
      "Migraine",
      "Tension-type headache",
    ]),
    answer("A", "c3", "Pleuritic chest pain after a flight: pulmonary embolism first.", [
      "Pulmonary embolism",
    ]),
    failed("A", "c4", { failure: "connection", message: "ECONNREFUSED", attempts: 1 }),
    answer("B", "c1", "Guarding noted.", ["Ectopic pregnancy", "Acute appendicitis"]),
    answer("B", "c2", "The thunderclap onset worries me.", ["Migraine", "Subarachnoid hemorrhage"]),
    answer("B", "c3", null, ["Pneumonia"]),
    answer("B", "c4", "Recurrent, throbbing.", ["Migraine"]),
  ];
  return { study, suite, results };
}

export function answer(
  modelId: string,
  caseId: string,
  reasoning: string | null,
  listed: string[],
): JobResult {
  return {
    modelId,
    caseId,
    sample: 0,
    key: `${modelId}/${caseId}/0`,
    completion: {
      text: listed.map((name, index) => `${index + 1}. ${name}`).join("\n"),
      reasoning,
      finishReason: "stop",
      tokens: { prompt: 100, completion: 20, reasoning: reasoning === null ? null : 30 },
      latencyMs: 1200,
      model: { provider: "ollama", model: `${modelId.toLowerCase()}:latest` },
    },
    error: null,
    cached: false,
  };
}

/** A reviewer's code of a sample-0 answer of run-1. */
export function code(
  reviewer: string,
  modelId: string,
  caseId: string,
  value: ReasoningCodeValue,
  reconciled = false,
): ReasoningCode {
  return {
    runId: "run-1",
    modelId,
    caseId,
    sample: 0,
    reviewer,
    code: value,
    note: "",
    codedAt: "2025-03-02T09:00:00.000Z",
    reconciled,
  };
}
