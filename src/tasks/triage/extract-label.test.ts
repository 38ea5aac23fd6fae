import { describe, expect, it } from "vitest";
import { extractLabel } from "./extract-label.ts";

const LABELS = ["negative", "routine", "urgent"];

/** Answers as models write them (after any reasoning), and the label each gives; null when none or unclear. */
const ANSWERS: Array<[string, string, string | null]> = [
  ["constrained JSON", '{"label": "urgent"}', "urgent"],
  ["JSON with spaces and capitals", '{ "Label" : "Routine" }', "routine"],
  [
    "fenced JSON after prose",
    'The scan shows a simple lipoma.\n\n```json\n{"label": "negative"}\n```',
    "negative",
  ],
  [
    "JSON before an explanation that mentions other labels",
    '{"label": "urgent"}\n\nThe acute subdural haematoma needs same-day neurosurgical review; this is not routine.',
    "urgent",
  ],
  [
    "JSON with a reason field",
    '{"label": "routine", "reason": "not urgent, but the nodule needs follow-up"}',
    "routine",
  ],
  ["JSON under another key", '{"triage_category": "URGENT"}', "urgent"],
  ["Python-style quotes", "{'label': 'negative'}", "negative"],
  ["JSON value outside the label set", '{"label": "emergent"}', null],
  ["two JSON answers that disagree", '{"label": "routine"}\nOn reflection:\n{"label": "urgent"}', null],
  ["JSON cut off before its closing brace", '```json\n{"label": "routine"', "routine"],
  ["key and colon", "Label: urgent", "urgent"],
  [
    "bold key",
    "**Classification:** Negative\n\nNo acute abnormality; the renal cyst is a simple Bosniak I cyst.",
    "negative",
  ],
  ["key, spaced dash", "Classification - negative", "negative"],
  ["key with 'is'", "The triage category is routine.", "routine"],
  ["bold label alone", "**Routine**", "routine"],
  ["lone word with punctuation", "Urgent.", "urgent"],
  ["upper case", "URGENT", "urgent"],
  ["quoted lone word", '"negative"', "negative"],
  ["not urgent is not urgent", "Not urgent.", null],
  ["non-urgent", "This is a non-urgent finding.", null],
  [
    "the label, with the other labels negated",
    "Routine (not urgent): the 9 mm pulmonary nodule needs CT follow-up in 6–12 months.",
    "routine",
  ],
  ["rather than", "I would classify this as routine rather than urgent.", "routine"],
  [
    "final answer line decides over an earlier statement",
    "Label: routine\n\nOn reflection, the free air changes this.\n\nFinal answer: urgent",
    "urgent",
  ],
  ["answer on the next line", "Answer:\n**Negative**", "negative"],
  ["boxed", "The findings require same-day surgical review.\n\n**Final Answer**\n\\boxed{urgent}", "urgent"],
  [
    "first label stated as the answer",
    "Label: urgent. Although the incidental adrenal nodule would be routine on its own, the dissection is not.",
    "urgent",
  ],
  ["alternatives", "Routine or urgent, depending on the clinical picture.", null],
  ["slash alternatives", "Answer: routine/urgent", null],
  ["alternatives in the final answer line", "Final answer: negative or routine", null],
  [
    "two labels, neither stated as the answer",
    "The findings could be considered urgent. Some would manage them as routine.",
    null,
  ],
  [
    "sentence that says which",
    "The report describes a large saddle pulmonary embolism with right heart strain, so this is urgent.",
    "urgent",
  ],
  [
    "the only label mentioned, in prose",
    "Bilateral pulmonary emboli with right ventricular strain require immediate anticoagulation — urgent.",
    "urgent",
  ],
  [
    "'negative for' describes a finding",
    "Negative for pulmonary embolism, but the new 2.5 cm spiculated mass needs prompt workup: routine.",
    "routine",
  ],
  ["hypothetical", "If the label were urgent, we would expect free air. Classification: routine", "routine"],
  [
    "'falls into'",
    "This falls into the routine category: benign-appearing lesion needing outpatient follow-up.",
    "routine",
  ],
  ["list of options, then nothing chosen", "The options are:\n- negative\n- routine\n- urgent", null],
  ["refusal", "I cannot provide a medical classification. Please consult a radiologist.", null],
  ["empty", "   ", null],
  [
    "opens with the label, then explains",
    "Urgent – routine follow-up would be too late for this abscess.",
    "urgent",
  ],
  [
    "opens with the label on its own line",
    "Negative\nNo acute intracranial abnormality; routine ageing changes only.",
    "negative",
  ],
  [
    "opens with a finding, not a label",
    "Negative for fracture. The displaced rib fractures need routine fracture clinic review.",
    "routine",
  ],
  ["markdown heading", "## Triage: URGENT\nTension pneumothorax with mediastinal shift.", "urgent"],
  ["typographic quotes", "Classification: “Routine”", "routine"],
  [
    "'doesn't need urgent' keeps routine",
    "Label: routine — the fracture doesn't need urgent surgery.",
    "routine",
  ],
];

describe("extractLabel", () => {
  it.each(ANSWERS)("%s", (_, answer, expected) => {
    expect(extractLabel(answer, LABELS)).toBe(expected);
  });

  it("has at least 25 answers in its table", () => {
    expect(ANSWERS.length).toBeGreaterThanOrEqual(25);
  });

  it("matches custom labels with spaces, hyphens or underscores, and prefers the longer label", () => {
    const labels = ["no action", "follow-up", "non-urgent", "urgent"];
    expect(
      [
        '{"label": "No Action"}',
        "Category: follow up",
        "FOLLOW_UP",
        "Label: non-urgent",
        "Label: Urgent",
        "Triage: non urgent or urgent",
      ].map((answer) => extractLabel(answer, labels)),
    ).toEqual(["no action", "follow-up", "follow-up", "non-urgent", "urgent", null]);
  });

  it("returns only labels of the given set, spelled as the set spells them", () => {
    expect(extractLabel("Label: P1", ["P3", "P2", "P1"])).toBe("P1");
    expect(extractLabel("Label: p2", ["P3", "P2", "P1"])).toBe("P2");
    expect(extractLabel("Label: urgent", ["P3", "P2", "P1"])).toBeNull();
  });
});
