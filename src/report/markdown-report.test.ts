import { describe, expect, it } from "vitest";
import { escapeMarkdown, markdownDestination, renderMarkdown } from "./markdown-report.ts";
import { smallAnalysis, smallTriageAnalysis } from "./report.test-support.ts";

describe("renderMarkdown", () => {
  const { report, details } = smallAnalysis();
  const markdown = renderMarkdown(report, details);
  const lines = markdown.split("\n");

  it("says on its first line that the run is incomplete", () => {
    expect(lines[0]).toBe(
      "**Run incomplete: 1 of 8 jobs have no answer (infrastructure errors or not yet run); they are excluded " +
        "from n and listed under Errors. Resume the run to finish it.**",
    );
  });

  it("says on its first line that a finished run is complete", () => {
    const complete = smallAnalysis(true);
    expect(renderMarkdown(complete.report, complete.details).split("\n")[0]).toBe(
      "**Run complete: all 8 jobs (2 models × 4 cases) have an answer.**",
    );
  });

  it("says on its first line that a run the runner did not finish is incomplete, even without errors", () => {
    const complete = smallAnalysis(true);
    const unfinished = {
      ...complete.report,
      run: { ...complete.report.run, finishedAt: null, complete: false },
    };
    expect(renderMarkdown(unfinished, complete.details).split("\n")[0]).toBe(
      "**Run incomplete: the run did not finish; resume it before relying on these results.**",
    );
  });

  it("lays out Table 1 with the hand-computed accuracies", () => {
    // A: n = 3 (c4 failed), correct c1 c2 → 2/3, Wilson 20.8–93.9; lenient 2/3; top-1 1/3; top-3 2/3;
    //    MRR (1 + 1/2)/3 = 0.500; latency 100 ms each.
    // B: n = 4, correct c1 (@3) → 1/4, Wilson 4.6–69.9; lenient + c3 → 2/4; top-1 0; top-3 1/4;
    //    MRR (1/3)/4 = 0.083; one unparseable.
    const start = lines.indexOf(
      "**Table 1. Accuracy per model (reference among the top 5; strict grading; Wilson 95% CI).**",
    );
    expect(lines.slice(start + 2, start + 6)).toEqual([
      "| Model | n | Correct | Accuracy, % (95% CI) | Lenient, % | Top-1, % | Top-3, % | MRR | Unparseable | Truncated | Errors | Latency p50 / p95, s | Tokens prompt / completion / reasoning |",
      "|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      "| A | 3 | 2 | 66.7 (20.8–93.9) | 66.7 | 33.3 | 66.7 | 0.500 | 0 | 0 | 1 | 0.10 / 0.10 | — / — / — |",
      "| B | 4 | 1 | 25.0 (4.6–69.9) | 50.0 | 0.0 | 25.0 | 0.083 | 1 | 0 | 0 | 0.10 / 0.10 | — / — / — |",
    ]);
  });

  it("lays out Table 2 with the paired comparison", () => {
    // A vs B without c4: both c1, A only c2, neither c3 → n 3; difference (1 − 0)/3 = +33.3 pp;
    // Newcombe: 1/3 − √(0.4590² + 0.4590²) = −0.316 and 1/3 + √(0.2718² + 0.2718²) = 0.718 (φ = 0 after
    // the continuity correction, as ad − bc = 1 ≤ n/2). Exact p = 2·½ = 1; mid-p = ½; Holm over one p = 1.
    const row = lines.find((line) => line.startsWith("| A vs B |"));
    expect(row).toBe(
      "| A vs B | primary (Holm) | 3 | 1 | 1 / 1 / 0 / 1 | +33.3 (−31.6 to 71.8) | 1.000 | 0.500 | 1.000 | no |",
    );
  });

  it("has the methods, subgroup tables, the review list, the errors and the caution", () => {
    expect(lines).toContain("## Methods");
    expect(lines).toContain("### Subgroups by specialty");
    expect(lines).toContain("| surgery | 2 | A | 2 | 2 | 100.0 (34.2–100.0) | 50.0 | 100.0 | 0.750 | 0 |");
    expect(lines).toContain("| neurology | 2 | A | 1 | 0 | 0.0 (0.0–79.3) | 0.0 | 0.0 | 0.000 | 1 |");
    expect(lines).toContain(
      "- B: 1 correct, 2 incorrect, 1 unparseable, 0 truncated, 0 errors. Strict accuracy 25.0%, lenient 50.0% (+25.0 pp; 1 answer needs review).",
    );
    expect(lines).toContain("| B | c3 | 0 | near miss | the reference | 0.84 | Diagnosis of c3 |");
    expect(lines).toContain("| A | c4 | 0 | http 503: Service Unavailable (after 5 attempts) |");
    expect(lines.at(-2)).toMatch(/^Scores from simulated cases are not clinical evidence on their own\./);
  });
});

describe("escapeMarkdown", () => {
  it("keeps user text from becoming markup, HTML or extra table cells", () => {
    expect(escapeMarkdown("<script>alert(1)</script> | *bold* _x_ [link](y) `code`\nnext")).toBe(
      "&lt;script\\>alert(1)&lt;/script\\> \\| \\*bold\\* \\_x\\_ \\[link\\](y) \\`code\\` next",
    );
    expect(escapeMarkdown("p < 0.001 & q &amp; # > \\")).toBe("p < 0.001 & q &amp;amp; \\# \\> \\\\");
  });
});

describe("markdownDestination", () => {
  it("percent-encodes whatever could end a link destination or a table cell", () => {
    expect(markdownDestination("http://h/a b)(c|d<e>`f[g]\\h\n")).toBe(
      "http://h/a%20b%29%28c%7Cd%3Ce%3E%60f%5Bg%5D%5Ch%0A",
    );
    expect(markdownDestination("http://127.0.0.1:4173/runs/r/cases/c~x")).toBe(
      "http://127.0.0.1:4173/runs/r/cases/c~x",
    );
  });
});

describe("renderMarkdown for a triage study", () => {
  const { report, details } = smallTriageAnalysis();
  const lines = renderMarkdown(report, details).split("\n");
  const rowsAfter = (caption: string, count: number) => {
    const start = lines.findIndex((line) => line.startsWith(`**${caption}`));
    return lines.slice(start + 2, start + 4 + count);
  };

  it("gives accuracy without a lenient column", () => {
    expect(rowsAfter("Table 1.", 2)).toEqual([
      "| Model | n | Correct | Accuracy, % (95% CI) | Unparseable | Truncated | Errors | Latency p50 / p95, s | Tokens prompt / completion / reasoning |",
      "|:---|---:|---:|---:|---:|---:|---:|---:|---:|",
      "| A | 6 | 3 | 50.0 (18.8–81.2) | 1 | 0 | 0 | 0.10 / 0.10 | 1,200 / 48 / — |",
      "| B | 6 | 5 | 83.3 (43.6–97.0) | 0 | 0 | 0 | 0.10 / 0.10 | 1,200 / 48 / — |",
    ]);
  });

  it("lays out the classification table with the hand-computed measures", () => {
    // A, labelled c1–c5: confusion negative [1, 1, 0], routine [1, 1, 0], urgent [0, 0, 1]; c6 no label.
    //   F1 ½, ½, 1 → macro-F1 2/3. Urgent recall 1/1; with c6 as a miss 1/2. Under c2 1/5, over c4 1/5.
    //   Linear kappa: observed (3 + ½·2)/5 = 0.8; expected (2·2 + 2·2 + 1·1 + ½·(2·2 + 2·2 + 2·1 + 1·2))/25 = 0.6;
    //   kappa = 0.2/0.4 = 0.5.
    // B, c1–c6: negative [2, 0, 0], routine [0, 2, 0], urgent [0, 1, 1]. F1 1, 0.8 (P 2/3, R 1), 2/3 →
    //   macro-F1 0.822. Urgent recall 1/2. Under c3 1/6, over 0. Kappa: observed (5 + ½)/6; expected
    //   (2·2 + 2·3 + 2·1 + ½·(2·3 + 2·2 + 2·1 + 2·3))/36 = 21/36; kappa = (33 − 21)/(36 − 21) = 0.8.
    const interval = (index: number) => {
      const bounds = report.models[index].classification?.macroF1Interval;
      return `${bounds?.lower.toFixed(3)}–${bounds?.upper.toFixed(3)}`;
    };
    expect(rowsAfter("Table 3.", 2)).toEqual([
      "| Model | With a label | Without a label | Macro-F1 (95% CI) | Urgent recall, % | Urgent recall, no label as miss, % | Under-triage, % | Over-triage, % | Weighted kappa |",
      "|:---|---:|---:|---:|---:|---:|---:|---:|---:|",
      `| A | 5 | 1 | 0.667 (${interval(0)}) | 100.0 | 50.0 | 20.0 | 20.0 | 0.500 |`,
      `| B | 6 | 0 | 0.822 (${interval(1)}) | 50.0 | 50.0 | 16.7 | 0.0 | 0.800 |`,
    ]);
    expect(lines).toContain("### Classification");
  });

  it("shows each model's confusion matrix with the no-label column and per-class scores", () => {
    expect(rowsAfter("Table 6. Confusion matrix of A", 3)).toEqual([
      "| Reference | Given negative | Given routine | Given urgent | No label | Support | Precision, % | Recall, % | F1 |",
      "|:---|---:|---:|---:|---:|---:|---:|---:|---:|",
      "| negative | 1 | 1 | 0 | 0 | 2 | 50.0 | 50.0 | 0.500 |",
      "| routine | 1 | 1 | 0 | 0 | 2 | 50.0 | 50.0 | 0.500 |",
      "| urgent | 0 | 0 | 1 | 1 | 1 | 100.0 | 100.0 | 1.000 |",
    ]);
    expect(rowsAfter("Table 7. Confusion matrix of B", 3).slice(2)).toEqual([
      "| negative | 2 | 0 | 0 | 0 | 2 | 100.0 | 100.0 | 1.000 |",
      "| routine | 0 | 2 | 0 | 0 | 2 | 66.7 | 100.0 | 0.800 |",
      "| urgent | 0 | 1 | 1 | 0 | 2 | 100.0 | 50.0 | 0.667 |",
    ]);
  });

  it("adds macro-F1 and urgent recall to the subgroup tables", () => {
    // Chest c1–c3, A: negative [1, 0, 0], routine [1, 0, 0], urgent [0, 0, 1] → F1 2/3, 0, 1 → 0.556.
    // Abdomen c4–c6, A: negative [0, 1, 0], routine [0, 1, 0], c6 no label → F1 0, 2/3, 0 → 0.222; no urgent.
    expect(lines).toContain("| chest | 3 | A | 3 | 2 | 66.7 (20.8–93.9) | 0.556 | 100.0 | 0 |");
    expect(lines).toContain("| abdomen | 3 | A | 3 | 1 | 33.3 (6.1–79.2) | 0.222 | — | 0 |");
    expect(lines).toContain(
      "- A: 3 correct, 2 incorrect, 1 unparseable, 0 truncated, 0 errors. Accuracy 50.0%.",
    );
  });
});

describe("the prompt appendix", () => {
  it("shows each message verbatim in a fence longer than any backtick run inside it", () => {
    const { report, details } = smallAnalysis();
    const content = 'Answer as JSON:\n```json\n{"diagnoses": []}\n```\n*not emphasis*';
    const markdown = renderMarkdown(
      {
        ...report,
        prompt: { source: "study template", file: "prompt.txt", messages: [{ role: "user", content }] },
      },
      details,
    );
    const appendix = markdown.slice(markdown.indexOf("## Appendix: prompt"));
    expect(appendix).toBe(
      [
        "## Appendix: prompt",
        "",
        "The models were given the study's template prompt.txt, the whole prompt, sent as one user message.",
        "",
        "**user**",
        "",
        `\`\`\`\`text\n${content}\n\`\`\`\``,
        "",
      ].join("\n"),
    );
  });
});
