/**
 * The per-label probabilities in an answer of the form `{"label": …, "probabilities": {label: p, …}}` (what
 * on-site classifiers answer): every study label present, each a number in [0, 1]. Null for any other answer.
 */
export function labelProbabilities(text: string, labels: readonly string[]): Record<string, number> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.trim());
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const probabilities = (parsed as { probabilities?: unknown }).probabilities;
  if (typeof probabilities !== "object" || probabilities === null) return null;
  const result: Record<string, number> = {};
  for (const label of labels) {
    const value = (probabilities as Record<string, unknown>)[label];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) return null;
    result[label] = value;
  }
  return result;
}

/**
 * The label at an urgent cut-off: the most severe label when its probability reaches `threshold`, otherwise
 * the most probable of the other labels (the less severe one on a tie).
 */
export function labelAtThreshold(
  probabilities: Readonly<Record<string, number>>,
  labels: readonly string[],
  threshold: number,
): string {
  const severe = labels[labels.length - 1];
  if (probabilities[severe] >= threshold) return severe;
  let best = labels[0];
  for (const label of labels.slice(0, -1)) if (probabilities[label] > probabilities[best]) best = label;
  return best;
}
