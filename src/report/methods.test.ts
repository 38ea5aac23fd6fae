import { describe, expect, it } from "vitest";
import type { AdaptationTraining } from "../core/study.ts";
import { listText, methodsParagraphs, paramsText } from "./methods.ts";
import { smallAnalysis, smallTriageAnalysis } from "./report.test-support.ts";

describe("methodsParagraphs", () => {
  const { report } = smallAnalysis();
  const [design, task, statistics] = methodsParagraphs(report);

  it("names the study, suite, run and every model with its backend, digest and parameters", () => {
    expect(design).toBe(
      `Study small-study evaluated 2 models on suite small (4 cases; SHA-256 ${"0".repeat(64)}) in run run-1. ` +
        "Models: A (ollama a:8b, digest sha256:abc; temperature 0, seed 1); B (openai org/b; backend default " +
        "parameters). Each model answered each case once.",
    );
  });

  it("states k, the grading ladder and which grading is primary", () => {
    expect(task).toContain("Each model was asked for its 5 most likely preliminary diagnoses, ranked.");
    expect(task).toContain(
      "Strict grading counts the correct rungs; lenient grading also counts a broader concept one level up",
    );
    expect(task).toContain("mapped to concepts of the disease terminology, and judged");
    expect(task).toContain("the primary analysis uses strict grading");
  });

  it("names the terminology release and the overlays grading used", () => {
    const terminology: Array<Record<string, string>> = [
      {
        source: "DiseaseOntology/HumanDiseaseOntology",
        release: "v2026-07-31",
        commit: "4bc5e8a796c4715d6c009064c147a49bc8e1c1e5",
        licence: "CC0-1.0",
      },
      { source: "clinval clinical overlay" },
      { source: "site-terms.yaml" },
    ];
    const withTerminology = { ...report, study: { ...report.study, terminology } };
    expect(methodsParagraphs(withTerminology)[1]).toContain(
      "mapped to concepts of DiseaseOntology/HumanDiseaseOntology (release v2026-07-31, commit 4bc5e8a796c4; " +
        "CC0-1.0) with clinval clinical overlay and site-terms.yaml, and judged",
    );
  });

  it("states the tests, the interval methods, the level, the family and its adjustment, and alpha", () => {
    expect(statistics).toContain("Every interval is at the 95% confidence level (1 − alpha, alpha = 0.05).");
    expect(statistics).toContain("Wilson score 95% confidence intervals");
    expect(statistics).toContain(
      "exact conditional two-sided binomial test on the discordant pairs, with its mid-p value",
    );
    expect(statistics).toContain("Newcombe's hybrid score 95% confidence interval (method 10)");
    expect(statistics).toContain(
      "The primary family of hypotheses is the 1 comparison over all cases; its p-values were adjusted together with Holm's method",
    );
    expect(statistics).toContain("those not declared in the study are exploratory");
    expect(statistics).toContain("Fisher's exact test for two strata with discordant pairs");
    expect(statistics).toContain(
      "with errors (failed calls and timeouts) counted as incorrect, and with truncated answers left out of n",
    );
    expect(statistics).toContain("below alpha = 0.05");
    expect(statistics).toContain("Subgroup analyses by specialty repeat");
  });

  it("says how several samples per case are analysed", () => {
    const sampled = { ...report, study: { ...report.study, samples: 5 } };
    expect(methodsParagraphs(sampled)[0]).toContain(
      "Each model answered each case 5 times. Accuracy is the mean over cases of the per-case proportion correct, with a case-level (cluster) bootstrap interval",
    );
    expect(methodsParagraphs(sampled)[2]).toContain(
      "the primary test is the paired permutation test on per-case proportions",
    );
  });
});

describe("paramsText and listText", () => {
  it("names every parameter in words", () => {
    expect(
      paramsText({
        temperature: 0.6,
        topP: 0.95,
        topK: 40,
        maxTokens: 8192,
        seed: 7,
        stop: ["</s>"],
        think: true,
      }),
    ).toBe(
      'temperature 0.6, top-p 0.95, top-k 40, max tokens 8192, seed 7, stop sequences "</s>", thinking on',
    );
  });

  it("joins a list in prose", () => {
    expect([[], ["a"], ["a", "b"], ["a", "b", "c"]].map(listText)).toEqual([
      "",
      "a",
      "a and b",
      "a, b and c",
    ]);
  });
});

describe("methodsParagraphs for a triage study", () => {
  const [, task, statistics] = methodsParagraphs(smallTriageAnalysis().report);

  it("names the ordered labels, the extraction and what counts as correct", () => {
    expect(task).toContain(
      "exactly one label of the study's ordered label set (negative, routine, urgent; least to most severe)",
    );
    expect(task).toContain('negated mentions (such as "not urgent") were ignored');
    expect(task).toContain("An answer was correct when its label was the case's reference label.");
  });

  it("states the classification measures, the bootstrap and how answers without a label enter", () => {
    expect(statistics).toContain(
      "macro-F1 (the unweighted mean of the F1 of all 3 labels; a label a model never gave counts 0) with a " +
        "BCa bootstrap 95% CI, 2000 resamples of cases, seed 1",
    );
    expect(statistics).toContain(
      "the recall of the most severe label (urgent), also with answers without a label",
    );
    expect(statistics).toContain("Cohen's kappa with linear weights");
    expect(statistics).toContain(
      "compared on urgent recall over the urgent cases and on under-triage over every case",
    );
    expect(statistics).toContain("Brier score and a reliability curve");
    expect(statistics).toContain('counted per reference label in the "No label" column');
  });
});

describe("methodsParagraphs for adapted models", () => {
  const training: AdaptationTraining = {
    dataCard: {
      sha256: "a".repeat(64),
      format: "chat",
      reasoningStyle: "r1",
      seed: 7,
      sources: [
        {
          kind: "reasoning",
          name: "medical-o1.json",
          licence: "Apache-2.0",
          records: 40,
          sha256: "b".repeat(64),
        },
        {
          kind: "triage-suite",
          name: "ct-triage",
          licence: "CC-BY-4.0",
          records: 10,
          sha256: "c".repeat(64),
        },
      ],
      trainExamples: 36,
      validationExamples: 4,
      filters: { maxTokens: 2048, droppedOverLength: 3, truncated: 0, excluded: 2 },
    },
    contamination: {
      trainingExamples: 40,
      cases: 4,
      contaminatedCases: 1,
      ngram: 8,
      ngramThreshold: 0.5,
      similarityThreshold: 0.5,
      pairs: [
        { caseId: "dx-2", origin: "train.jsonl:5", kinds: ["ngram"] },
        { caseId: "dx-2", origin: "train.jsonl:9", kinds: ["near-duplicate"] },
      ],
    },
  };
  const { report } = smallAnalysis();
  const adapted = {
    ...report,
    adaptations: [
      { model: "B-tuned", base: "B", adapter: "clinval-adapter", adapterSha256: null, training: null },
      { model: "A-tuned", base: "A", adapter: "adapter.gguf", adapterSha256: "d".repeat(64), training },
    ],
  };
  const paragraphs = methodsParagraphs(adapted);

  it("comes after the design, one paragraph per adapted model", () => {
    expect(paragraphs).toHaveLength(methodsParagraphs(report).length + 2);
    expect(paragraphs[0]).toBe(methodsParagraphs(report)[0]);
  });

  it("says when no training data was named, so nothing was checked", () => {
    expect(paragraphs[1]).toBe(
      "B-tuned is B with the adapter its server serves as clinval-adapter, applied without merging; it is " +
        "compared with B on the same cases. The study names no training data for this adapter " +
        "(`trainingData:`), so no data card is cited and the overlap of its training data with the evaluation " +
        "cases was not checked.",
    );
  });

  it("cites the data card (sources, licences, counts, filters) and the contamination check with what it found", () => {
    expect(paragraphs[2]).toBe(
      "A-tuned is A with the LoRA adapter adapter.gguf (SHA-256 dddddddddddd…), applied without merging; it is " +
        "compared with A on the same cases. Its training data, prepared by clinval sft prepare (data card " +
        "SHA-256 aaaaaaaaaaaa…), holds 36 training and 4 validation examples (chat format, reasoning r1, split " +
        "seed 7) from medical-o1.json (reasoning, 40 records, licence: Apache-2.0); ct-triage (triage-suite, 10 " +
        "records, licence: CC-BY-4.0); 3 dropped as longer than 2048 tokens, 2 excluded as overlapping an " +
        "evaluation suite. A contamination check of these 40 examples against the 4 cases of this run looked " +
        "for exact copies of a case, word n-gram overlap (at least 50% of a case's 8-word sequences in one " +
        "example) and near-duplicates (MinHash estimate of at least 50% of a case's word pairs in one " +
        "example): 1 of the 4 cases was found in the training data (dx-2); the comparison with the base " +
        "model may be inflated by leakage.",
    );
  });
});
