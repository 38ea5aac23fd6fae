import { InputError } from "../core/errors.ts";

/**
 * The label order for a table: `labels` when given (every observed value must be among them, none
 * repeated), otherwise the order of first appearance, reading the columns row by row.
 */
export function resolveLabels(
  columns: readonly (readonly string[])[],
  labels: readonly string[] | undefined,
): string[] {
  if (labels !== undefined) {
    const seen = new Set<string>();
    for (const [index, label] of labels.entries()) {
      if (seen.has(label))
        throw new InputError(`label ${JSON.stringify(label)} is listed twice`, { field: `labels.${index}` });
      seen.add(label);
    }
    for (const column of columns) {
      for (const [index, value] of column.entries()) {
        if (!seen.has(value)) {
          throw new InputError(
            `value ${JSON.stringify(value)} is not one of the labels ${labels.join(", ")}`,
            {
              field: `rows.${index}`,
            },
          );
        }
      }
    }
    return [...labels];
  }
  const order = new Map<string, number>();
  const length = Math.max(...columns.map((column) => column.length));
  for (let index = 0; index < length; index++) {
    for (const column of columns) {
      const value = column[index];
      if (value !== undefined && !order.has(value)) order.set(value, order.size);
    }
  }
  return [...order.keys()];
}
