import { describe, expect, it } from "vitest";
import type { Report } from "../analysis/report-types.ts";
import { differenceSpec, differenceSvg } from "./difference-plot.ts";
import { smallAnalysis } from "./report.test-support.ts";

describe("the forest plot of paired differences", () => {
  const { report } = smallAnalysis();

  it("takes each comparison's difference and role at the report's level", () => {
    expect(differenceSpec(report)).toEqual({
      id: "forest-differences",
      title: "Paired differences in accuracy (A − B) with 95% confidence intervals",
      level: 0.95,
      rows: [{ label: "A vs B", role: "primary", difference: report.comparisons[0].difference }],
    });
  });

  it("draws a point and an interval per comparison on a symmetric axis around zero", () => {
    // A vs B: +33.3 pp (−31.6 to 71.8): the largest |limit| 0.718 rounds up to an axis of ±80 pp in steps of 20,
    // with a tick at zero.
    const svg = differenceSvg(differenceSpec(report));
    expect(svg.match(/class="point"/g)).toHaveLength(1);
    expect(svg.match(/class="interval"/g)).toHaveLength(1);
    expect([...svg.matchAll(/text-anchor="middle">([^<]+)<\/text>/g)].map((match) => match[1])).toEqual([
      "−80",
      "−60",
      "−40",
      "−20",
      "0",
      "+20",
      "+40",
      "+60",
      "+80",
      "A − B, percentage points (95% CI)",
    ]);
    expect(svg).toContain(
      '<desc id="forest-differences-desc">A vs B: +33.3 (−31.6 to 71.8) percentage points.</desc>',
    );
  });

  it("marks exploratory comparisons and uses the per-case difference with several samples", () => {
    const perCase = {
      estimate: 0.1,
      lower: -0.05,
      upper: 0.12,
      method: "cluster-bootstrap-bca",
      level: 0.9,
      replicates: 2000,
      seed: 1,
    };
    const sampled: Report = {
      ...report,
      study: { ...report.study, level: 0.9 },
      comparisons: [
        {
          ...report.comparisons[0],
          role: "exploratory",
          samples: {
            cases: 3,
            difference: perCase,
            permutation: { p: 0.5, method: "exact", replicates: null, seed: null },
            majorityVote: {
              bothCorrect: 1,
              aOnly: 1,
              bOnly: 0,
              neither: 1,
              mcnemar: { exactP: 1, midP: 0.5 },
            },
            discordance: { cases: 3, observed: 1, noise: 0.5, share: 0.5 },
          },
        },
      ],
    };
    const spec = differenceSpec(sampled);
    expect(spec.rows).toEqual([{ label: "A vs B", role: "exploratory", difference: perCase }]);
    const svg = differenceSvg(spec);
    expect(svg).toContain(">A vs B (exploratory)</text>");
    // Limits within ±0.12: steps of 10, the axis ±20 pp.
    expect(svg).toContain('text-anchor="middle">−20</text>');
    expect(svg).toContain('text-anchor="middle">+10</text>');
  });
});
