import { z } from "zod";
import { InputError } from "../../../src/core/errors.ts";
import { type BenchmarkCase, readJsonLines } from "../benchmark-file.ts";

/** The lists to label, written by select-sample.ts: names only, no verdict. */
export const TO_LABEL_FILE = new URL("./to-label.jsonl", import.meta.url).pathname;
/** The project's labels, one per list of TO_LABEL_FILE, under RULES.md. */
export const LABELS_FILE = new URL("./labels.jsonl", import.meta.url).pathname;

const itemToLabelSchema = z.strictObject({
  /** The benchmark case's source file and case id: unique, stable across rebuilds of the benchmark. */
  id: z.string().min(1),
  reference: z.string().min(1),
  accept: z.array(z.string().min(1)),
  answers: z.array(z.string().min(1)).min(1).max(5),
});
export type ItemToLabel = z.infer<typeof itemToLabelSchema>;

const labelSchema = z
  .strictObject({
    id: z.string().min(1),
    label: z.enum(["correct", "broader", "incorrect"]),
    /** The first answer that is correct; null unless the label is correct. */
    rank: z.number().int().min(1).max(5).nullable(),
    note: z.string().min(1).optional(),
  })
  .refine((row) => (row.label === "correct") === (row.rank !== null), {
    message: "rank must be a number exactly when the label is correct",
    path: ["rank"],
  });
export type ProjectLabel = z.infer<typeof labelSchema>;

export function itemKey(testCase: Pick<BenchmarkCase, "source" | "caseId">): string {
  return `${testCase.source}#${testCase.caseId}`;
}

export function loadItemsToLabel(file: string = TO_LABEL_FILE): ItemToLabel[] {
  return readJsonLines(file, itemToLabelSchema, "rows");
}

/**
 * Reads the labels and checks them against the items: one label per item, same ids, in the same order,
 * a rank within the item's answers.
 */
export function loadLabels(items: readonly ItemToLabel[], file: string = LABELS_FILE): ProjectLabel[] {
  const labels = readJsonLines(file, labelSchema, "rows");
  for (const [index, label] of labels.entries()) {
    const item = items[index];
    if (item === undefined)
      throw new InputError("has more labels than there are items", { file, line: index + 1 });
    if (label.id !== item.id)
      throw new InputError(`expected id ${item.id}`, { file, line: index + 1, field: "id" });
    if (label.rank !== null && label.rank > item.answers.length)
      throw new InputError(`the list has only ${item.answers.length} answers`, {
        file,
        line: index + 1,
        field: "rank",
      });
  }
  if (labels.length !== items.length)
    throw new InputError(`has ${labels.length} labels for ${items.length} items`, { file });
  return labels;
}
