import { readFileSync } from "node:fs";
import { z } from "zod";
import { InputError } from "../../src/core/errors.ts";

/** The benchmark file the repository ships, built by build-benchmark.ts (see SOURCE.md). */
export const BENCHMARK_FILE = new URL("./benchmark.jsonl", import.meta.url).pathname;

const verdictSchema = z.enum(["correct", "incorrect"]);
export type Verdict = z.infer<typeof verdictSchema>;

const answerSchema = z.strictObject({
  rank: z.number().int().min(1),
  text: z.string().min(1),
  /** The independent verdict on this one answer, where the case verdict determines it; otherwise null. */
  verdict: verdictSchema.nullable(),
});

/** One model's answer to one case, as the source judged it. */
const benchmarkCaseSchema = z.strictObject({
  /** Where the pair comes from: repository, commit and file. */
  source: z.string().min(1),
  /** The source's dataset (synthetic-gpt4, RAMEDIS, …); cases with the same `caseId` share a vignette. */
  dataset: z.string().min(1),
  /** The model that answered, as the source names it. */
  model: z.string().min(1),
  caseId: z.string().min(1),
  reference: z.string().min(1),
  /** Further names the source gives for the reference (RareBench lists several for some cases). */
  accept: z.array(z.string().min(1)),
  answers: z.array(answerSchema).min(1),
  verdict: z.strictObject({
    kind: z.enum(["judge", "clinician", "project-labelled"]),
    /** Whether the reference is among the listed answers, according to the source. */
    case: verdictSchema,
    /**
     * Whether the source found the reference itself, not a broader or narrower name, among the answers;
     * null where the source's verdict does not say (a looser match).
     */
    exactMatch: verdictSchema.nullable(),
    /** The source's own label, kept as written (e.g. the judge's P0–P5). */
    label: z.string().min(1),
  }),
});
export type BenchmarkCase = z.infer<typeof benchmarkCaseSchema>;

/** Reads and checks a benchmark file; a bad line is an InputError naming the file, line and field. */
export function loadBenchmark(file: string = BENCHMARK_FILE): BenchmarkCase[] {
  return readJsonLines(file, benchmarkCaseSchema, "cases");
}

/** Reads a JSON-lines file whose every line must fit `schema`; an error names the file, line and field. */
export function readJsonLines<T>(file: string, schema: z.ZodType<T>, rowsAre: string): T[] {
  const rows: T[] = [];
  for (const [index, line] of readFileSync(file, "utf8").split("\n").entries()) {
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new InputError("is not valid JSON", { file, line: index + 1 });
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new InputError(issue.message, { file, line: index + 1, field: issue.path.join(".") });
    }
    rows.push(result.data);
  }
  if (rows.length === 0) throw new InputError(`holds no ${rowsAre}`, { file });
  return rows;
}

export { benchmarkCaseSchema };
