import type { AdaptationBlock, ModelSummary, Report } from "../analysis/report-types.ts";
import type { GenerationParams } from "../core/chat.ts";
import { bootstrapText } from "./classification-tables.ts";
import { adjustmentName, levelText } from "./format.ts";

/** The Methods section, generated from the study and run: plain-text paragraphs, escaped by each renderer. */
export function methodsParagraphs(report: Report): string[] {
  const decisions = decisionsParagraph(report);
  return [
    designParagraph(report),
    ...(report.adaptations ?? []).map(adaptationParagraph),
    taskParagraph(report),
    ...(decisions === "" ? [] : [decisions]),
    statisticsParagraph(report),
  ];
}

/** An adapted model: its adapter, the data card of its training data and the contamination check. */
export function adaptationParagraph(adaptation: AdaptationBlock): string {
  const adapter =
    adaptation.adapterSha256 === null
      ? `the adapter its server serves as ${adaptation.adapter}`
      : `the LoRA adapter ${adaptation.adapter} (SHA-256 ${adaptation.adapterSha256.slice(0, 12)}…)`;
  const intro =
    `${adaptation.model} is ${adaptation.base} with ${adapter}, applied without merging; it is compared ` +
    `with ${adaptation.base} on the same cases.`;
  const { training } = adaptation;
  if (training === null) {
    return (
      `${intro} The study names no training data for this adapter (\`trainingData:\`), so no data card is ` +
      "cited and the overlap of its training data with the evaluation cases was not checked."
    );
  }
  const card = training.dataCard;
  const sources = card.sources
    .map((source) => `${source.name} (${source.kind}, ${source.records} records, licence: ${source.licence})`)
    .join("; ");
  const { droppedOverLength, truncated, excluded, maxTokens } = card.filters;
  const filters =
    droppedOverLength + truncated + excluded === 0
      ? "no example was dropped, truncated or excluded"
      : [
          droppedOverLength > 0 ? `${droppedOverLength} dropped as longer than ${maxTokens} tokens` : "",
          truncated > 0 ? `${truncated} truncated to ${maxTokens} tokens` : "",
          excluded > 0 ? `${excluded} excluded as overlapping an evaluation suite` : "",
        ]
          .filter(Boolean)
          .join(", ");
  const check = training.contamination;
  const found =
    check.contaminatedCases === 0
      ? "no case was found in the training data"
      : `${check.contaminatedCases} of the ${check.cases} cases ${check.contaminatedCases === 1 ? "was" : "were"} ` +
        `found in the training data (${[...new Set(check.pairs.map((pair) => pair.caseId))].join(", ")}); ` +
        "the comparison with the base model may be inflated by leakage";
  return (
    `${intro} Its training data, prepared by clinval sft prepare (data card SHA-256 ${card.sha256.slice(0, 12)}…), ` +
    `holds ${card.trainExamples} training and ${card.validationExamples} validation examples ` +
    `(${card.format} format, reasoning ${card.reasoningStyle}, split seed ${card.seed}) from ${sources}; ` +
    `${filters}. A contamination check of these ${check.trainingExamples} examples against the ${check.cases} ` +
    "cases of this run looked for exact copies of a case, word n-gram overlap " +
    `(at least ${percentText(check.ngramThreshold)} of a case's ${check.ngram}-word sequences in one example) and ` +
    `near-duplicates (MinHash estimate of at least ${percentText(check.similarityThreshold)} of a case's word ` +
    `pairs in one example): ${found}.`
  );
}

function percentText(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** The judge rung and the clinicians' adjudications, when the run has either. */
function decisionsParagraph(report: Report): string {
  const parts: string[] = [];
  const { judge, agreement } = report;
  if (judge) {
    const counts = Object.entries(judge.verdicts)
      .map(([verdict, count]) => `${verdict} ${count}`)
      .join(", ");
    parts.push(
      `Listed diagnoses that the grading ladder left undecided (no strict match) were put to a local judge model, ` +
        `${judge.provider} ${judge.model}, once per distinct pair of reference and answer, at temperature 0 with ` +
        "a fixed rubric (same disease, more specific, broader, related, different) and a JSON schema for its " +
        "verdict and one-line rationale. A same-disease or more-specific verdict counts as a match at the rung " +
        '"judge"; the judge never overrides a rung that decided, and an answer without a readable verdict ' +
        `(unparseable) never counts. The judge was asked about ${judge.pairs} pair${judge.pairs === 1 ? "" : "s"}` +
        `${counts === "" ? "" : ` (${counts})`}` +
        `${judge.undecided > 0 ? `; ${judge.undecided} remained undecided because the judge did not answer` : ""}.`,
    );
  }
  if (agreement) {
    const figures = agreement.methods
      .filter((method) => method.n > 0)
      .map((method) => {
        const kappa = method.kappa
          ? `kappa ${method.kappa.estimate.toFixed(2)} (95% CI ${method.kappa.lower.toFixed(2)} to ${method.kappa.upper.toFixed(2)})`
          : "kappa undefined";
        return `${method.method} ${kappa}, n = ${method.n}`;
      })
      .join("; ");
    parts.push(
      `Clinicians adjudicated ${agreement.adjudicated} distinct pair${agreement.adjudicated === 1 ? "" : "s"} of ` +
        "reference and answer in this run; their decisions (correct, more specific, broader, incorrect) are the " +
        'top rung, "clinician", and take precedence over every other rung. Agreement of each grading with the ' +
        "clinicians on correct versus not correct, graded without their decisions (Cohen's kappa with a Wald " +
        `interval from the Fleiss–Cohen–Everitt standard error): ${figures}.`,
    );
  }
  return parts.join(" ");
}

function designParagraph(report: Report): string {
  const { study } = report;
  const count = report.models.length;
  const models = report.models.map(modelDescription).join("; ");
  const samples =
    study.samples === 1
      ? "Each model answered each case once."
      : `Each model answered each case ${study.samples} times. Accuracy is the mean over cases of the ` +
        "per-case proportion correct, with a case-level (cluster) bootstrap interval that resamples whole cases " +
        "(BCa, 2000 resamples, seed 1); accuracy pooled over all answers is shown beside it (its interval treats " +
        "the answers as independent and is too narrow when a model answers a case consistently), and the first " +
        "answers (sample 0) give the 2×2 tables. Determinism is reported as the flip rate: of all pairs of " +
        "answers to the same case, the share where one is correct and the other not.";
  return (
    `Study ${study.name} evaluated ${count} model${count === 1 ? "" : "s"} on suite ${study.suite.id} ` +
    `(${study.suite.cases} cases; SHA-256 ${study.suite.sha256}) in run ${report.run.id}. ` +
    `Models: ${models}. ${samples}`
  );
}

function modelDescription(model: ModelSummary): string {
  // A local model file is named by its file name; its digest (shortened) identifies the exact weights.
  const file = model.provider === "llama-cpp" || model.provider === "classifier";
  const digest = model.digest
    ? file
      ? `, SHA-256 ${model.digest.replace(/^sha256:/, "").slice(0, 12)}…`
      : `, digest ${model.digest}`
    : "";
  return `${model.id} (${model.provider} ${model.model}${digest}; ${paramsText(model.params)})`;
}

const PARAM_NAMES: Record<keyof GenerationParams, string> = {
  temperature: "temperature",
  topP: "top-p",
  topK: "top-k",
  maxTokens: "max tokens",
  seed: "seed",
  stop: "stop sequences",
  think: "thinking",
};

export function paramsText(params: GenerationParams): string {
  const parts: string[] = [];
  for (const key of Object.keys(PARAM_NAMES) as Array<keyof GenerationParams>) {
    const value = params[key];
    if (value === undefined) continue;
    const text = Array.isArray(value)
      ? value.map((item) => JSON.stringify(item)).join(", ")
      : typeof value === "boolean"
        ? value
          ? "on"
          : "off"
        : String(value);
    parts.push(`${PARAM_NAMES[key]} ${text}`);
  }
  return parts.length === 0 ? "backend default parameters" : parts.join(", ");
}

function taskParagraph(report: Report): string {
  const { study } = report;
  const failures =
    "Answers from which no answer could be extracted (unparseable) and answers cut off at the token limit " +
    "(truncated) count as incorrect and are reported separately. Jobs that failed for infrastructure reasons " +
    "(refused connection, server error, timeout after retries) are excluded from n and listed.";
  if (study.task === "triage") return triageParagraph(report, failures);
  if (study.task !== "diagnosis") {
    return `An answer was correct when its graded outcome was correct. ${failures}`;
  }
  const k = study.topK;
  return (
    `Each model was asked for its ${k} most likely preliminary diagnoses, ranked. Each listed diagnosis was ` +
    "normalised (case, accents, punctuation, spelling variants, plurals, possessives, numbers, word order), " +
    `mapped to concepts of ${terminologyText(study.terminology)}, and judged by its relation to the reference ` +
    "diagnosis and the case's accepted names, recording the rung that decided: the same name or concept " +
    "(exact, accepted, synonym), a more specific concept unless the case rejects that subtype, a misspelling " +
    "of exactly one such concept, or a composite naming it (such as X secondary to Y). A broader concept, a " +
    "different concept, a rejected subtype and an answer that excludes itself (ruled out, unlikely) are " +
    "incorrect; an answer the terminology could not place is undecided and counts as incorrect. Strict grading " +
    "counts the correct rungs; lenient grading also counts a broader concept one level up and undecided answers " +
    "with a suggestion for review. " +
    `A case was correct when the reference diagnosis was matched among the ${k} listed diagnoses; ` +
    `the primary analysis uses ${study.grading} grading, and accuracy under the other grading is shown ` +
    "alongside. Top-1 and top-3 accuracy count strict matches at rank 1 and within the first three; the mean " +
    `reciprocal rank (MRR) averages 1/rank of the strict match, counting 0 when there was none. ${failures}`
  );
}

/** "the Human Disease Ontology (DiseaseOntology/HumanDiseaseOntology release v2026-07-31, CC0-1.0) with …" */
function terminologyText(terminology: Report["study"]["terminology"]): string {
  const [source, ...overlays] = terminology ?? [];
  if (source === undefined) return "the disease terminology";
  const release = [
    source.release && `release ${source.release}`,
    source.commit && `commit ${source.commit.slice(0, 12)}`,
  ]
    .filter(Boolean)
    .join(", ");
  const corrected = source.corrections && `less the corrections in ${source.corrections}`;
  const named = `${source.source ?? "a disease terminology"} (${[release, source.licence, corrected].filter(Boolean).join("; ")})`;
  const added = overlays.map((overlay) => overlay.source).filter(Boolean);
  return added.length === 0 ? named : `${named} with ${listText(added)}`;
}

/** The study's labels, least to most severe, as the classification blocks record them. */
function triageLabels(report: Report): string[] | null {
  return report.models.find((model) => model.classification)?.classification?.labels ?? null;
}

function triageParagraph(report: Report, failures: string): string {
  const labels = triageLabels(report);
  const set = labels
    ? `the study's ordered label set (${labels.join(", ")}; least to most severe)`
    : "the study's ordered label set";
  return (
    `Each model was asked to give each report exactly one label of ${set}, as JSON; the JSON schema of the ` +
    "answer was passed to backends that can constrain decoding. The label was extracted from the answer after " +
    "any reasoning: from JSON first, then from an explicit final answer, then from the first label stated as " +
    'the answer; negated mentions (such as "not urgent") were ignored, and an answer offering two labels as ' +
    "alternatives was unparseable. An answer was correct when its label was the case's reference label. " +
    failures
  );
}

function classificationSentences(report: Report): string {
  const labels = triageLabels(report);
  if (labels === null) return "";
  const severe = labels[labels.length - 1];
  return (
    " Classification measures are computed over the answers with a label: the confusion matrix (rows the " +
    "reference label, columns the label given), precision, recall and F1 per label, macro-F1 (the unweighted " +
    `mean of the F1 of all ${labels.length} labels; a label a model never gave counts 0) with a ` +
    `${bootstrapText(report.models)}, the recall of ` +
    `the most severe label (${severe}), also with answers without a label counted as misses, under- and ` +
    "over-triage (the share of answers given a less or more severe label than the reference), and Cohen's kappa " +
    "with linear weights against the reference. Answers without a label are counted per reference label in " +
    'the "No label" column of the confusion matrices. Within a subgroup, a label absent from the stratum has F1 0 ' +
    "and lowers macro-F1." +
    ` ${capitalize(severe)} recall, under- and over-triage have Wilson intervals, and the weighted kappa an ` +
    "interval from the large-sample standard error of Fleiss, Cohen and Everitt (1969). Pairs of models are also " +
    `compared on ${severe} recall over the ${severe} cases and on under-triage over every case (an answer without a ` +
    "label counting as a miss and as under-triaged) with McNemar's exact test and Newcombe's interval, as exploratory " +
    "analyses. For answers that gave a probability per label, calibration is reported as the Brier score and a " +
    `reliability curve (ten equal-width bins) of the probability of ${severe}, and the multi-class Brier score.` +
    (report.study.threshold === undefined
      ? ""
      : ` Such answers were given the label ${severe} whenever its probability reached ${report.study.threshold}.`)
  );
}

function statisticsParagraph(report: Report): string {
  const { study } = report;
  const level = levelText(study.level);
  const levelSource =
    Math.abs(study.level - (1 - study.alpha)) < 1e-9
      ? `${level} confidence level (1 − alpha, alpha = ${study.alpha})`
      : `${level} confidence level set by the study (alpha = ${study.alpha})`;
  const comparisons = report.comparisons.length;
  const primary = report.comparisons.filter((comparison) => comparison.role !== "exploratory");
  const primaryFields = study.primarySubgroups ?? [];
  const adjustment = adjustmentName(study.adjust ?? "holm");
  const familyMembers = [
    `the ${primary.length} comparison${primary.length === 1 ? "" : "s"} over all cases`,
    ...(primaryFields.length === 0
      ? []
      : [
          `their comparisons within each value of ${listText(primaryFields)} and the interaction tests by ${listText(primaryFields)}`,
        ]),
  ];
  const family =
    comparisons === 0
      ? ""
      : ` The primary family of hypotheses is ${listText(familyMembers)}${
          primary.length === comparisons ? "" : " declared primary in the study"
        }; its p-values were adjusted together with ${adjustment}'s method, and a primary difference is called ` +
        `significant when its adjusted p is below alpha = ${study.alpha}.` +
        (primary.length === comparisons && primaryFields.length === 0
          ? ""
          : " Every other comparison is exploratory: its p is reported unadjusted and does not confirm a difference.");
  const subgroups =
    study.subgroups.length === 0
      ? ""
      : ` Subgroup analyses by ${listText(study.subgroups)} repeat the per-model and paired analyses within ` +
        'each value (cases without a value form a "(missing)" stratum); ' +
        (primaryFields.length === study.subgroups.length
          ? "they were declared in the study."
          : "those not declared in the study are exploratory, and small strata give wide intervals.") +
        " For each comparison and subgroup field, the model × subgroup interaction is estimated as the difference " +
        "between a stratum's paired difference and the first stratum's, with a MOVER interval combining the " +
        "strata's Newcombe intervals, and tested by whether the discordant pairs split alike in every stratum " +
        "(equal conditional odds ratios): Fisher's exact test for two strata with discordant pairs, Pearson's " +
        "chi-square otherwise." +
        (study.samples > 1
          ? " With several samples per case the strata's tables are of per-case majority votes."
          : "");
  const test =
    study.samples > 1
      ? " With several samples per case the primary test is the paired permutation test on per-case proportions " +
        "(each case's difference p̂_A − p̂_B equally likely to have either sign under the null hypothesis; exact by " +
        "convolution), with a case-level bootstrap interval of the mean difference; McNemar's exact test on the " +
        "per-case majority vote (a tie is not correct) is a secondary test. The expected disagreement between two " +
        "models, Σ p̂_A(1 − p̂_B) + p̂_B(1 − p̂_A), is split into the part sampling noise alone explains, estimated " +
        "without bias as Σ x(m − x)/(m(m − 1)) for each model, and the rest, a systematic difference."
      : "";
  const paired =
    comparisons === 0
      ? ""
      : ` Models were compared on the same cases with McNemar's test: the exact conditional two-sided binomial ` +
        "test on the discordant pairs, with its mid-p value. The paired difference in accuracy (A − B) is given " +
        `with Newcombe's hybrid score ${level} confidence interval (method 10).${test}${family} A case ` +
        "where either model of a pair had an error is left out of that pair.";
  const sensitivity =
    " A sensitivity table repeats the accuracies and comparisons with errors (failed calls and timeouts) counted " +
    "as incorrect, and with truncated answers left out of n, so that a conclusion that depends on how missing " +
    "answers are counted shows.";
  return (
    `Every interval is at the ${levelSource}. Accuracy is reported with Wilson score ${level} confidence intervals.` +
    `${classificationSentences(report)}${paired}${subgroups}${sensitivity} ` +
    "Latency is summarised by the median (p50) and 95th percentile (p95) of the wall time per answer " +
    "(R type 7 quantiles); token counts are summed over the answers that reported them."
  );
}

/** "a", "a and b", "a, b and c" */
export function listText(items: readonly string[]): string {
  return items.length <= 1
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
