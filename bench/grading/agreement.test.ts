import { describe, expect, it } from "vitest";
import { bootstrapInterval, cohenKappa } from "../../src/stats/index.ts";
import {
  confusionOf,
  kappaOfConfusion,
  measureAgreement,
  type RatedItem,
  sortingWords,
  wordRelation,
} from "./agreement.ts";

/** `count` items with the given ratings, spread over clusters `prefix-0`, `prefix-1`, … in turn. */
function items(count: number, reference: boolean, grader: boolean, clusters: number): RatedItem[] {
  return Array.from({ length: count }, (_, index) => ({
    reference,
    grader,
    cluster: `c${index % clusters}`,
  }));
}

// Hand example: 40 both correct, 10 grader only, 5 reference only, 45 neither (n = 100).
// Observed agreement (40 + 45)/100 = 0.85; grader positive 0.50, reference positive 0.45;
// chance agreement 0.50·0.45 + 0.50·0.55 = 0.50; kappa = (0.85 − 0.50)/(1 − 0.50) = 0.70.
const HAND_EXAMPLE = [
  ...items(40, true, true, 7),
  ...items(10, false, true, 7),
  ...items(5, true, false, 7),
  ...items(45, false, false, 7),
];

describe("measureAgreement", () => {
  it("gives the hand-computed kappa, rates, gap and table", () => {
    const agreement = measureAgreement(HAND_EXAMPLE, { replicates: 500 });
    expect(agreement.n).toBe(100);
    expect(agreement.confusion).toEqual({ bothCorrect: 40, graderOnly: 10, referenceOnly: 5, neither: 45 });
    expect(agreement.kappa?.estimate).toBeCloseTo(0.7, 12);
    expect(agreement.observedAgreement).toBeCloseTo(0.85, 12);
    expect(agreement.graderPositiveRate).toBeCloseTo(0.5, 12);
    expect(agreement.referencePositiveRate).toBeCloseTo(0.45, 12);
    expect(agreement.gap).toBeCloseTo(0.05, 12);
    const { kappa } = agreement;
    expect(kappa !== null && kappa.lower < 0.7 && 0.7 < kappa.upper).toBe(true);
  });

  it("computes kappa from a table exactly as the statistics module does from the ratings", () => {
    const label = (value: boolean) => (value ? "correct" : "incorrect");
    const fromRatings = cohenKappa(
      HAND_EXAMPLE.map((item) => label(item.grader)),
      HAND_EXAMPLE.map((item) => label(item.reference)),
    ).kappa;
    expect(kappaOfConfusion(confusionOf(HAND_EXAMPLE))).toBeCloseTo(fromRatings as number, 14);
    expect(kappaOfConfusion({ bothCorrect: 3, graderOnly: 0, referenceOnly: 0, neither: 0 })).toBeNull();
  });

  it("resamples clusters, and its quick jackknife gives the interval the full recomputation gives", () => {
    const clusters = [...new Set(HAND_EXAMPLE.map((item) => item.cluster))];
    const tables = clusters.map((cluster) =>
      confusionOf(HAND_EXAMPLE.filter((item) => item.cluster === cluster)),
    );
    const slow = bootstrapInterval(
      tables.length,
      (indices) =>
        kappaOfConfusion(
          confusionOf(
            indices.flatMap((index) => HAND_EXAMPLE.filter((item) => item.cluster === clusters[index])),
          ),
        ) ?? 0,
      { replicates: 500, seed: 3 },
    );
    const fast = measureAgreement(HAND_EXAMPLE, { replicates: 500, seed: 3 }).kappa;
    expect(fast?.lower).toBeCloseTo(slow.lower, 12);
    expect(fast?.upper).toBeCloseTo(slow.upper, 12);
  });

  it("has a kappa of 0 when one rater used one label, and none when both did", () => {
    const oneLabel = measureAgreement([...items(4, true, true, 2), ...items(3, false, true, 2)], {
      replicates: 200,
    });
    expect(oneLabel.kappa?.estimate).toBe(0);
    expect(oneLabel.graderPositiveRate).toBe(1);
    expect(measureAgreement(items(5, true, true, 2)).kappa).toBeNull();
  });
});

describe("wordRelation", () => {
  it("sorts an answer by how its words relate to the reference's", () => {
    expect(wordRelation("Meniere's Diseases", ["Meniere disease"])).toBe("same-words");
    expect(wordRelation("Phenylketonuria (PKU)", ["Phenylketonuria"])).toBe("same-words");
    expect(wordRelation("Acute pancreatitis with necrosis", ["Acute pancreatitis"])).toBe(
      "answer-more-specific",
    );
    expect(wordRelation("Amyloidosis", ["AL amyloidosis"])).toBe("answer-broader");
    expect(wordRelation("Peripheral artery disease", ["Acute peripheral arterial occlusion"])).toBe(
      "shared-words",
    );
    expect(wordRelation("Tyrosinemia", ["Phenylketonuria"])).toBe("no-shared-words");
    expect(wordRelation("Amyloidosis", ["Gout", "Amyloidosis"])).toBe("same-words");
  });

  it("reads words without case, accents, possessives, remarks in brackets or a plural s", () => {
    expect([...sortingWords("Sjögren's Syndromes (primary)")]).toEqual(["sjogren", "syndrome"]);
    expect([...sortingWords("Cystic fibrosis of the pancreas")]).toEqual(["cystic", "fibrosis", "pancreas"]);
  });
});
