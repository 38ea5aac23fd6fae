import type { DifferenceInterval, Proportion } from "../analysis/report-types.ts";

/** Shown where a value does not exist (no answers, not reported). */
export const NONE = "—";
const MINUS = "−";

/** 0.4727 → "47.3" */
export function percent(value: number, digits = 1): string {
  const text = (Math.abs(value) * 100).toFixed(digits);
  return value < 0 && Number(text) !== 0 ? `${MINUS}${text}` : text;
}

/** "47.3 (38.2–56.5)" */
export function proportionText(proportion: Proportion | null | undefined): string {
  if (!proportion) return NONE;
  return `${percent(proportion.estimate)} (${percent(proportion.lower)}–${percent(proportion.upper)})`;
}

/** "52/110" */
export function countText(proportion: Proportion | null | undefined): string {
  return proportion ? `${proportion.x}/${proportion.n}` : NONE;
}

/** Difference in percentage points: "−17.3 (−27.0 to −7.0)" */
export function differenceText(difference: DifferenceInterval | null): string {
  if (!difference) return NONE;
  const point = (value: number) => {
    const text = percent(value);
    return value > 0 && Number(text) !== 0 ? `+${text}` : text;
  };
  return `${point(difference.estimate)} (${percent(difference.lower)} to ${percent(difference.upper)})`;
}

/** "< 0.001", "0.003", "1.000"; an em dash when undefined. */
export function pValueText(value: number | null): string {
  if (value === null) return NONE;
  return value < 0.001 ? "< 0.001" : value.toFixed(3);
}

export function decimalText(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined ? NONE : value.toFixed(digits);
}

/** 12345 → "12,345" */
export function integerText(value: number | null | undefined): string {
  return value === null || value === undefined ? NONE : value.toLocaleString("en-US");
}

/** Milliseconds as seconds with two decimals. */
export function secondsText(milliseconds: number | null): string {
  return milliseconds === null ? NONE : (milliseconds / 1000).toFixed(2);
}

/** A confidence level as a percentage: 0.99 → "99%", 0.975 → "97.5%". */
export function levelText(level: number): string {
  return `${Number((level * 100).toPrecision(10))}%`;
}

/** "Holm", "Bonferroni", "Benjamini–Hochberg", … */
export function adjustmentName(method: string): string {
  const names: Record<string, string> = {
    holm: "Holm",
    bonferroni: "Bonferroni",
    hochberg: "Hochberg",
    bh: "Benjamini–Hochberg",
    by: "Benjamini–Yekutieli",
    none: "none",
  };
  return names[method] ?? method;
}
