import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isNode, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { InputError, InputErrors } from "../../core/errors.ts";
import { readTextFile } from "../../suites/read-text-file.ts";

/** The probe files shipped with clinval: `probes/<name>.yaml`. */
export const BUILTIN_PROBES_DIRECTORY = join(import.meta.dirname, "..", "..", "..", "probes");
export const BUILTIN_PROBES = ["demographic", "injection", "premise", "chinese"] as const;

const rationale = z.string().min(20, "write why this probe measures a risk (at least 20 characters)");
const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, "use lower-case letters, digits and - only (it becomes part of case ids)");
const pattern = z.string().refine(
  (source) => {
    try {
      new RegExp(source, "iu");
      return true;
    } catch {
      return false;
    }
  },
  { message: "is not a valid regular expression" },
);

const sexSwap = z.strictObject({
  attribute: slug,
  rationale,
  method: z.literal("sex-swap"),
  /** Case text matching any of these (case-insensitive) is not swapped. */
  skipWhen: z.array(pattern).default([]),
  toFemale: z.record(z.string().min(1), z.string().min(1)),
  toMale: z.record(z.string().min(1), z.string().min(1)),
});

const ageShift = z
  .strictObject({
    attribute: slug,
    rationale,
    method: z.literal("age-shift"),
    years: z.number().int().positive(),
    minimum: z.number().int().min(0),
    maximum: z.number().int().positive(),
    skipWhen: z.array(pattern).default([]),
  })
  .refine((shift) => shift.minimum < shift.maximum, { message: "minimum must be below maximum" });

const insert = z.strictObject({
  attribute: slug,
  rationale,
  method: z.literal("insert"),
  /** One sentence per value; the seed picks one per case. */
  descriptors: z.array(z.string().min(1)).min(1),
  skipWhen: z.array(pattern).default([]),
});

export const demographicProbeSchema = z.strictObject({
  kind: z.literal("demographic"),
  id: slug,
  rationale,
  attributes: z.array(z.discriminatedUnion("method", [sexSwap, ageShift, insert])).min(1),
});

export const POSITIONS = ["start", "middle", "end"] as const;
export type Position = (typeof POSITIONS)[number];

export const injectionProbeSchema = z.strictObject({
  kind: z.literal("injection"),
  id: slug,
  rationale,
  positions: z
    .array(z.enum(POSITIONS))
    .min(1)
    .default([...POSITIONS]),
  techniques: z
    .array(
      z
        .strictObject({
          technique: slug,
          rationale,
          /** The injected line; `{{target}}` is the attacker's target, `{{payload}}` the encoded payload. */
          text: z.string().min(1),
          encoding: z.literal("base64").optional(),
          payload: z.string().min(1).optional(),
        })
        .refine((technique) => (technique.encoding === undefined) === (technique.payload === undefined), {
          message: "give `encoding` and `payload` together",
        }),
    )
    .min(1),
});

export const premiseProbeSchema = z.strictObject({
  kind: z.literal("premise"),
  id: slug,
  rationale,
  forms: z
    .array(
      z.strictObject({
        form: slug,
        rationale,
        /** `target`: the top answer became the asserted one; `drops-reference`: the reference is no longer found. */
        adoption: z.enum(["target", "drops-reference"]),
        /** For diagnosis cases; `{{target}}` and `{{reference}}` are filled in. */
        text: z.string().min(1),
        /** For triage cases (the labels take the place of diagnoses). */
        triageText: z.string().min(1),
      }),
    )
    .min(1),
});

export const translationProbeSchema = z.strictObject({
  kind: z.literal("translation"),
  id: slug,
  rationale,
  /** Language of the paired cases (a BCP 47 tag such as `zh`). */
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/, "use a language tag such as zh or es"),
  /** The paired suite: a built-in suite id, or a case file relative to the probe file. Cases pair by id. */
  suite: z.string().min(1),
});

export const probeFileSchema = z.discriminatedUnion("kind", [
  demographicProbeSchema,
  injectionProbeSchema,
  premiseProbeSchema,
  translationProbeSchema,
]);

export type ProbeDefinition = z.infer<typeof probeFileSchema>;
export type DemographicProbe = z.infer<typeof demographicProbeSchema>;
export type InjectionProbe = z.infer<typeof injectionProbeSchema>;
export type PremiseProbe = z.infer<typeof premiseProbeSchema>;
export type TranslationProbe = z.infer<typeof translationProbeSchema>;
export type DemographicAttribute = DemographicProbe["attributes"][number];

/** `demographic` (a built-in probe) or a path to a site's probe file. */
export function probePath(reference: string): string {
  return (BUILTIN_PROBES as readonly string[]).includes(reference)
    ? join(BUILTIN_PROBES_DIRECTORY, `${reference}.yaml`)
    : reference;
}

/** Reads and validates one probe file; every problem names the file, line and field. */
export async function loadProbeFile(path: string): Promise<ProbeDefinition> {
  const probe = await parseProbeFile(path);
  if (probe.kind === "translation" && !BUILTIN_SUITE_ID.test(probe.suite)) {
    return { ...probe, suite: resolve(dirname(path), probe.suite) };
  }
  return probe;
}

/** A built-in suite id (`dx-core-zh`, `dx-core@2`) rather than a case file's path. */
const BUILTIN_SUITE_ID = /^[a-z0-9-]+(@\d+)?$/;

async function parseProbeFile(path: string): Promise<ProbeDefinition> {
  const file = await readTextFile(path, "probe file");
  const lineCounter = new LineCounter();
  const document = parseDocument(file.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const [error] = document.errors;
    throw new InputError(
      error.message.split("\n")[0],
      { file: path, line: lineCounter.linePos(error.pos[0]).line },
      "invalid-yaml",
    );
  }
  const parsed = probeFileSchema.safeParse(document.toJS({ maxAliasCount: 100 }) ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const fieldPath = issue.path.map((key) => (typeof key === "symbol" ? String(key) : key));
    let line: number | undefined;
    for (let depth = fieldPath.length; depth >= 0 && line === undefined; depth--) {
      const node = depth === 0 ? document.contents : document.getIn(fieldPath.slice(0, depth), true);
      if (isNode(node) && node.range) line = lineCounter.linePos(node.range[0]).line;
    }
    const field = fieldPath.length > 0 ? fieldPath.join(".") : undefined;
    const missing = issue.code === "invalid_type" && / received undefined$/.test(issue.message);
    const message = missing ? `is required (${issue.expected})` : issue.message;
    return new InputError(message, { file: path, line, field }, "invalid-probe");
  });
  throw problems.length === 1 ? problems[0] : new InputErrors(problems);
}

/** The probes of a study, in the order given; two probes with the same id are an error. */
export async function loadProbes(references: readonly string[]): Promise<ProbeDefinition[]> {
  const probes: ProbeDefinition[] = [];
  for (const [index, reference] of references.entries()) {
    if (!existsSync(probePath(reference))) {
      throw new InputError(
        `no probe file ${reference} (built-in probes: ${BUILTIN_PROBES.join(", ")})`,
        { field: `probes.${index}` },
        "invalid-study",
      );
    }
    const probe = await loadProbeFile(probePath(reference));
    if (probes.some((other) => other.id === probe.id)) {
      throw new InputError(
        `a second probe with id "${probe.id}"`,
        { field: `probes.${index}` },
        "invalid-study",
      );
    }
    probes.push(probe);
  }
  return probes;
}
