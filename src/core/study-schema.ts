import { z } from "zod";
import {
  ADJUST_METHODS,
  type Adaptation,
  DEFAULT_MAX_ANSWER_CHARS,
  PROVIDERS,
  TASKS,
  type TaskName,
} from "./study.ts";

/** The study file's contract (DESIGN.md "Study file"), validated at the edge. */
const generationParams = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.number().int().positive().optional(),
  maxTokens: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  stop: z.array(z.string()).optional(),
  think: z.boolean().optional(),
});

const identifier = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "use letters, digits and . _ : - only");

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

/** An adapted version of a model (`adapters:` on a model): evaluated beside the base and compared with it. */
const adapterSchema = z.strictObject({
  /** The adapted model's id in the study. */
  id: identifier,
  /** llama-cpp: the adapter as a GGUF LoRA file, applied on top of the model's own `lora` list. */
  lora: z.string().min(1).optional(),
  /** openai / ollama: the name the server serves the adapted model under (vLLM `--lora-modules`, an Ollama Modelfile ADAPTER). */
  model: z.string().min(1).optional(),
  /**
   * The folder `clinval sft prepare` wrote the adapter's training data to (data-card.json, train.jsonl,
   * validation.jsonl): the report cites its data card and a contamination check against the study's cases.
   */
  trainingData: z.string().min(1).optional(),
});

export const modelSpecSchema = z.strictObject({
  /** The study's own label for this model, unique in the study. */
  id: identifier,
  provider: z.enum(PROVIDERS),
  /** Model name on the server, a GGUF path or `hf:` URI (llama-cpp), or a classifier file (classifier). */
  model: z.string().min(1),
  baseUrl: httpUrl.optional(),
  /** Several servers of the same model (replicas), each with its own concurrency, instead of one `baseUrl`. */
  endpoints: z
    .array(z.strictObject({ baseUrl: httpUrl, concurrency: z.number().int().min(1).max(1024).default(1) }))
    .min(1)
    .optional(),
  /** Name of the environment variable that holds the API key; the key itself never enters a file. */
  apiKeyEnv: z.string().min(1).optional(),
  concurrency: z.number().int().min(1).max(1024).default(1),
  timeoutMs: z.number().int().positive().default(300_000),
  retries: z.number().int().min(0).max(20).default(4),
  params: generationParams.default({}),
  /** llama-cpp: LoRA adapter files applied to the loaded model. */
  lora: z.array(z.string().min(1)).optional(),
  /** Adapted versions of this model; each becomes a model of the study, compared with this one. */
  adapters: z.array(adapterSchema).min(1).optional(),
  /** llama-cpp: context size per sequence. */
  contextSize: z.number().int().positive().optional(),
  /** llama-cpp: use a GPU when node-llama-cpp finds one (CUDA, Vulkan or Metal); default CPU only. */
  gpu: z.boolean().optional(),
  /** llama-cpp: CPU threads per decode; default every core this process may use (one for tiny models). */
  threads: z.number().int().positive().optional(),
});

/** Model keys that only some providers use; given to another provider, they would be silently ignored. */
const PROVIDER_KEYS = {
  baseUrl: ["openai", "ollama", "classifier"],
  endpoints: ["openai", "ollama"],
  apiKeyEnv: ["openai", "ollama", "classifier"],
  lora: ["llama-cpp"],
  contextSize: ["llama-cpp"],
  gpu: ["llama-cpp"],
  threads: ["llama-cpp"],
} as const;

/**
 * The judge for answers the terminology leaves undecided: a chat model of any kind a study can run
 * (not a classifier). It always runs at temperature 0; only length, seed and thinking can be set.
 */
export const judgeSpecSchema = z.strictObject({
  provider: z.enum(["openai", "ollama", "llama-cpp"]),
  model: z.string().min(1),
  baseUrl: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  apiKeyEnv: z.string().min(1).optional(),
  concurrency: z.number().int().min(1).max(1024).default(1),
  timeoutMs: z.number().int().positive().default(300_000),
  retries: z.number().int().min(0).max(20).default(4),
  params: z
    .strictObject({
      maxTokens: z.number().int().positive().optional(),
      seed: z.number().int().optional(),
      think: z.boolean().optional(),
    })
    .default({}),
  contextSize: z.number().int().positive().optional(),
  gpu: z.boolean().optional(),
  threads: z.number().int().positive().optional(),
});

export const fieldMappingSchema = z.record(z.string().min(1), z.string().min(1));

const suiteReference = z
  .strictObject({
    /** A built-in suite, e.g. `dx-core` (the latest version) or `dx-core@1`. */
    id: z.string().min(1).optional(),
    /** A case file (.jsonl, .csv, .yaml), relative to the study file. */
    path: z.string().min(1).optional(),
    /** clinval field name → column name in the case file. */
    fields: fieldMappingSchema.optional(),
    /** Use only cases whose `split` field has this value. */
    split: z.string().min(1).optional(),
  })
  .refine((suite) => (suite.id === undefined) !== (suite.path === undefined), {
    message: "give exactly one of `id` (built-in suite) or `path` (case file)",
  });

const declaredComparison = z.strictObject({
  a: z.string(),
  b: z.string(),
  /** A declared (confirmatory) hypothesis: adjusted together with the other primary comparisons. */
  primary: z.boolean().default(false),
});

export const studySchema = z
  .strictObject({
    name: identifier,
    /** `safety`: the base task's cases with perturbed variants (see `base`, `probes`, `seed`). */
    task: z.enum([...TASKS, "safety"]),
    /** Safety studies: the design of the suite the probes perturb. */
    base: z.enum(TASKS).optional(),
    /** Safety studies: built-in probes (`demographic`, `injection`, `premise`, `chinese`) or a site's probe files. */
    probes: z.array(z.string().min(1)).min(1).optional(),
    /** Safety studies: seeds every random choice of the variants. */
    seed: z.number().int().min(0).max(4_294_967_295).optional(),
    suite: suiteReference,
    models: z.array(modelSpecSchema).min(1),
    /**
     * Pairs of model ids to compare, `[a, b]` or `{ a, b, primary: true }`; default every pair in the order
     * given. When any pair is marked primary, the others are exploratory (reported unadjusted).
     */
    compare: z.array(z.union([z.tuple([z.string(), z.string()]), declaredComparison])).optional(),
    topK: z.number().int().min(1).max(20).default(5),
    alpha: z.number().gt(0).lt(1).default(0.05),
    /** Confidence level of every interval; default 1 − alpha. */
    confidence: z.number().gt(0).lt(1).optional(),
    /** Multiplicity adjustment across the primary comparisons; default Holm. */
    adjust: z.enum(ADJUST_METHODS).default("holm"),
    subgroups: z.array(z.string().min(1)).default([]),
    /**
     * Subgroup fields whose hypotheses are declared: their stratum comparisons and interaction tests of the
     * primary pairs join the primary family. Every other subgroup analysis is exploratory.
     */
    primarySubgroups: z.array(z.string().min(1)).default([]),
    /** Run models on different servers at the same time (default); false: one model after another. */
    parallel: z.boolean().optional(),
    /** Triage: ordered label set, least to most severe. */
    labels: z.array(z.string().min(1)).min(2).optional(),
    /**
     * Triage: for answers with per-label probabilities, the most severe label is given when its probability
     * reaches this cut-off (default: the label the answer names).
     */
    threshold: z.number().gt(0).lt(1).optional(),
    /** A prompt template file with `{{presentation}}` (or `{{text}}`) and `{{k}}`, relative to the study file. */
    prompt: z.string().min(1).optional(),
    /** Answers per model and case (for sampling studies); default 1. */
    samples: z.number().int().min(1).max(100).default(1),
    /** Characters of an answer (and of its reasoning) kept; longer ones are cut and flagged. */
    maxAnswerChars: z.number().int().min(1000).default(DEFAULT_MAX_ANSWER_CHARS),
    /** A warning printed under the status line of every report of this study (the demo uses it). */
    notice: z.string().min(1).optional(),
    /** A local model that judges answers grading left undecided (diagnosis studies). */
    judge: judgeSpecSchema.optional(),
    /**
     * Diagnosis: terminology overlay files (YAML) with local abbreviations, preferred names and extra
     * synonyms, relative to the study file, applied in order on top of the shipped terminology.
     */
    terminology: z.array(z.string().min(1)).optional(),
    /** Folder for report.json, report.md, report.html and cases.csv, relative to the study file. */
    output: z.string().min(1).default("./reports"),
    /**
     * Where `clinval view` serves this study's store, for the links of report.html to the workbench's case
     * pages; default http://127.0.0.1:4173/.
     */
    workbench: httpUrl.optional(),
  })
  .superRefine((study, context) => {
    const seen = new Map<string, number>();
    study.models.forEach((model, index) => {
      if (seen.has(model.id)) {
        context.addIssue({
          code: "custom",
          path: ["models", index, "id"],
          message: `duplicate model id "${model.id}" (also models.${seen.get(model.id)})`,
        });
      }
      seen.set(model.id, index);
    });
    study.models.forEach((model, index) => {
      model.adapters?.forEach((adapter, adapterIndex) => {
        const path = ["models", index, "adapters", adapterIndex];
        if (seen.has(adapter.id)) {
          context.addIssue({
            code: "custom",
            path: [...path, "id"],
            message: `duplicate model id "${adapter.id}"`,
          });
        }
        seen.set(adapter.id, index);
        const needs = model.provider === "llama-cpp" ? "lora" : "model";
        const other = needs === "lora" ? "model" : "lora";
        if (model.provider === "classifier") {
          context.addIssue({ code: "custom", path, message: "a classifier has no adapters" });
        } else if (adapter[needs] === undefined || adapter[other] !== undefined) {
          context.addIssue({
            code: "custom",
            path: [...path, adapter[other] === undefined ? needs : other],
            message:
              needs === "lora"
                ? "a llama-cpp adapter is a GGUF LoRA file: give `lora`, not `model`"
                : `an ${model.provider} adapter is the name the server gives it: give \`model\`, not \`lora\``,
          });
        }
      });
      if (model.endpoints !== undefined && model.baseUrl !== undefined) {
        context.addIssue({
          code: "custom",
          path: ["models", index, "endpoints"],
          message: "give either `baseUrl` or `endpoints`, not both",
        });
      }
    });
    study.models.forEach((model, index) => {
      for (const key of Object.keys(model) as Array<keyof typeof model>) {
        const providers = PROVIDER_KEYS[key as keyof typeof PROVIDER_KEYS] as readonly string[] | undefined;
        if (providers !== undefined && model[key] !== undefined && !providers.includes(model.provider)) {
          context.addIssue({
            code: "custom",
            path: ["models", index, key],
            message: `only for provider ${providers.join(" or ")}, not ${model.provider}`,
          });
        }
      }
    });
    study.compare?.forEach((entry, index) => {
      const sides: Array<[string | number, string]> = Array.isArray(entry)
        ? entry.map((id, side) => [side, id])
        : [
            ["a", entry.a],
            ["b", entry.b],
          ];
      if (sides[0][1] === sides[1][1]) {
        context.addIssue({
          code: "custom",
          path: ["compare", index],
          message: `compares "${sides[0][1]}" with itself; a comparison needs two different models`,
        });
      }
      for (const [side, id] of sides) {
        if (!seen.has(id)) {
          context.addIssue({
            code: "custom",
            path: ["compare", index, side],
            message: `unknown model id "${id}"`,
          });
        }
      }
    });
    study.primarySubgroups.forEach((field, index) => {
      if (!study.subgroups.includes(field)) {
        context.addIssue({
          code: "custom",
          path: ["primarySubgroups", index],
          message: `"${field}" is not one of the study's subgroups`,
        });
      }
    });
    const task = study.task === "safety" ? study.base : study.task;
    if (study.task === "safety") {
      for (const key of ["base", "probes", "seed"] as const) {
        if (study[key] === undefined) {
          context.addIssue({ code: "custom", path: ["task"], message: `a safety study needs \`${key}\`` });
        }
      }
    } else {
      for (const key of ["base", "probes", "seed"] as const) {
        if (study[key] !== undefined) {
          context.addIssue({ code: "custom", path: [key], message: "belongs to safety studies only" });
        }
      }
    }
    if (task !== "triage" && study.threshold !== undefined) {
      context.addIssue({
        code: "custom",
        path: ["threshold"],
        message: `a threshold belongs to triage studies, not to a ${task ?? study.task} study`,
      });
    }
    if (task !== "triage" && study.labels !== undefined) {
      context.addIssue({
        code: "custom",
        path: ["labels"],
        message: `labels belong to triage studies, not to a ${task ?? study.task} study`,
      });
    }
    if (study.judge !== undefined && task !== "diagnosis") {
      context.addIssue({ code: "custom", path: ["judge"], message: "a judge grades diagnosis studies only" });
    }
    const judge = study.judge;
    for (const key of Object.keys(judge ?? {}) as Array<keyof NonNullable<typeof judge>>) {
      const providers = PROVIDER_KEYS[key as keyof typeof PROVIDER_KEYS] as readonly string[] | undefined;
      if (
        judge &&
        providers !== undefined &&
        judge[key] !== undefined &&
        !providers.includes(judge.provider)
      ) {
        context.addIssue({
          code: "custom",
          path: ["judge", key],
          message: `only for provider ${providers.join(" or ")}, not ${judge.provider}`,
        });
      }
    }
    if (task === "triage" && study.labels) {
      if (new Set(study.labels).size !== study.labels.length) {
        context.addIssue({ code: "custom", path: ["labels"], message: "labels must be distinct" });
      }
    }
  })
  .transform((study) => safetyStudy(expandAdapters(study)));

/** A safety study runs as its base design over the cases and their variants; `safety` says how. */
function safetyStudy<
  T extends { task: TaskName | "safety"; base?: TaskName; probes?: string[]; seed?: number },
>({
  base,
  probes,
  seed,
  task,
  ...study
}: T): Omit<T, "task" | "base" | "probes" | "seed"> & { task: TaskName; safety?: SafetySettings } {
  return task === "safety"
    ? { ...study, task: base as TaskName, safety: { probes: probes as string[], seed: seed as number } }
    : { ...study, task };
}

/** How a safety study perturbs its base suite. */
export interface SafetySettings {
  probes: string[];
  seed: number;
  /** sha256 of the derived variants, set when the study's cases are prepared. */
  variantsSha256?: string;
}

/**
 * `adapters:` on a model → the base model and one model per adapter (same settings, the adapter's LoRA file
 * or served name), with each base-vs-adapter pair added to an explicit `compare` list.
 */
function expandAdapters<T extends { models: ModelSpec[]; compare?: Array<CompareEntry> }>(
  study: T,
): T & { adaptations?: Adaptation[] } {
  if (!study.models.some((model) => model.adapters)) return study;
  const pairs: Array<[string, string]> = [];
  const adaptations: Adaptation[] = [];
  const models = study.models.flatMap(({ adapters, ...base }) => [
    base,
    ...(adapters ?? []).map((adapter) => {
      pairs.push([base.id, adapter.id]);
      adaptations.push({
        model: adapter.id,
        base: base.id,
        adapter: adapter.lora ?? adapter.model ?? base.model,
        ...(adapter.trainingData === undefined ? {} : { trainingData: adapter.trainingData }),
      });
      return adapter.lora === undefined
        ? { ...base, id: adapter.id, model: adapter.model ?? base.model }
        : { ...base, id: adapter.id, lora: [...(base.lora ?? []), adapter.lora] };
    }),
  ]);
  const known = new Set(
    study.compare?.map((entry) => (Array.isArray(entry) ? entry : [entry.a, entry.b]).join("\u0000")),
  );
  const compare =
    study.compare === undefined
      ? undefined
      : [...study.compare, ...pairs.filter((pair) => !known.has(pair.join("\u0000")))];
  return { ...study, models, compare, adaptations };
}

type ModelSpec = z.infer<typeof modelSpecSchema>;
type CompareEntry = [string, string] | z.infer<typeof declaredComparison>;
