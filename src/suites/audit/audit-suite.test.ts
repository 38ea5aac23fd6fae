import { describe, expect, it } from "vitest";
import type { DiagnosisCase } from "../../core/case.ts";
import { auditDiagnosisCases } from "./audit-suite.ts";
import { diagnosisNames } from "./diagnosis-names.ts";
import { parseGiveawayPhrases } from "./giveaway-phrases.ts";

function vignette(id: string, presentation: string, fields: Partial<DiagnosisCase> = {}): DiagnosisCase {
  return {
    id,
    presentation,
    diagnosis: "Acute cholecystitis",
    accept: ["Calculous cholecystitis"],
    ...fields,
  };
}

const ZERO = { giveaway: 0, leak: 0, "red-flag": 0, label: 0, "near-duplicate": 0 };

describe("diagnosis names", () => {
  it("are the written name, its parenthesised abbreviation and the terminology's names for its concept", () => {
    expect(diagnosisNames("Pulmonary embolism (PE)")).toEqual([
      "Pulmonary embolism (PE)",
      "Pulmonary embolism",
      "pulmonary embolism",
      "pulmonary artery embolism",
      "pulmonary embolus",
      "PE",
      "pulmonary thromboembolism",
    ]);
    expect(diagnosisNames("A name no dictionary knows")).toEqual(["A name no dictionary knows"]);
  });
});

describe("suite audit", () => {
  it("passes a clean vignette and counts nothing", () => {
    const audit = auditDiagnosisCases([
      vignette("v1", "A 52-year-old woman has had right upper abdominal pain and fever for two days.", {
        redFlags: ["fever for two days"],
        reject: ["Biliary colic"],
        mimic: "Biliary colic",
      }),
    ]);
    expect(audit).toEqual({
      cases: 1,
      mimicCases: 1,
      nearDuplicates: { shingleWords: 3, threshold: 0.2, mostSimilar: null },
      counts: ZERO,
      casesWithFindings: ZERO,
      limits: ZERO,
      exceeded: [],
      findings: [],
    });
  });

  it("finds listed giveaways, but not absent findings, earlier conditions or confirmed measurements", () => {
    const audit = auditDiagnosisCases([
      vignette("v1", "She catches her breath when the examiner presses under the right ribs."),
      vignette("v2", "Erect chest film: no free gas under the diaphragm. Blood film: no blasts."),
      vignette("v3", "Ultrasound findings are consistent with gallbladder inflammation."),
      vignette("v4", "CT: an old scar in the left kidney, consistent with her known childhood reflux."),
      vignette(
        "v5",
        "The film confirms a raised white count; a biopsy confirmed the diagnosis of coeliac disease.",
      ),
    ]);
    expect(audit.findings).toEqual([
      { check: "giveaway", case: "v1", detail: '"catches her breath" (inspiratory-arrest-described)' },
      {
        check: "giveaway",
        case: "v3",
        detail: '"Ultrasound findings are consistent with" (test-names-disease)',
      },
      { check: "giveaway", case: "v5", detail: '"biopsy confirmed the diagnosis" (test-names-disease)' },
    ]);
    expect(audit.exceeded).toEqual(["giveaway"]);
  });

  it("finds the diagnosis, an accepted name or a terminology synonym in the text, by whole words", () => {
    const audit = auditDiagnosisCases([
      vignette("v1", "Known calculous cholecystitis last year.", {
        diagnosis: "Acute cholecystitis",
        accept: ["Calculous cholecystitis"],
      }),
      vignette("v2", "A scan was requested for possible PE.", {
        diagnosis: "Pulmonary embolism",
        accept: [],
      }),
      vignette("v3", "The pe in the text is not the abbreviation; nor is pulmonary embolisms.", {
        diagnosis: "Pulmonary embolism",
        accept: [],
      }),
      vignette("v4", "Her pulmonary thromboembolism was treated in 2019.", {
        diagnosis: "Pulmonary embolism",
        accept: [],
      }),
    ]);
    // The terminology files acute cholecystitis under "cholecystitis": naming it gives the case away too.
    expect(audit.findings).toEqual([
      { check: "leak", case: "v1", detail: '"cholecystitis"' },
      { check: "leak", case: "v1", detail: '"Calculous cholecystitis"' },
      { check: "leak", case: "v2", detail: '"PE"' },
      { check: "leak", case: "v4", detail: '"pulmonary thromboembolism"' },
    ]);
  });

  it("finds red flags missing from the text and reject or mimic names that are correct answers", () => {
    const audit = auditDiagnosisCases([
      vignette("v1", "Pain for two days.", {
        diagnosis: "Pulmonary embolism",
        accept: ["Pulmonary thromboembolism"],
        redFlags: ["pain for two days", "syncope"],
        reject: ["PE", "Pneumothorax"],
        mimic: "pulmonary embolism",
      }),
      vignette("v2", "Pain for two days.", { reject: "Biliary colic" as unknown as string[], mimic: "" }),
      vignette("v3", "Pain for two days.", {
        diagnosis: "Anterior STEMI",
        accept: ["Myocardial infarction"],
      }),
    ]);
    expect(audit.findings.filter((finding) => finding.check !== "near-duplicate")).toEqual([
      { check: "red-flag", case: "v1", detail: '"syncope" is not in the text' },
      { check: "label", case: "v1", detail: 'reject "PE" names the reference or an accepted name' },
      {
        check: "label",
        case: "v1",
        detail: 'mimic "pulmonary embolism" names the reference or an accepted name',
      },
      { check: "label", case: "v2", detail: "reject must be a list of non-empty strings" },
      { check: "label", case: "v2", detail: "mimic must be a non-empty string" },
      { check: "label", case: "v3", detail: 'accept "Myocardial infarction" is broader than the reference' },
    ]);
  });

  it("pairs near-duplicate vignettes and applies per-check limits", () => {
    const text =
      "A 34-year-old woman has had three days of lower abdominal pain, worse on the left, with a fever of 38.4 °C.";
    const audit = auditDiagnosisCases(
      [
        vignette("v1", text),
        vignette("v2", text.replace("34", "36")),
        vignette("v3", "Unrelated short text here."),
      ],
      { limits: { "near-duplicate": 1 } },
    );
    // 22 shingles each, 20 shared: 20 / 24 (Python set arithmetic on re.findall(r"[^\W_]+") agrees).
    expect(audit.findings).toEqual([
      { check: "near-duplicate", case: "v1", other: "v2", detail: "word 3-gram Jaccard similarity 0.833" },
    ]);
    expect(audit.casesWithFindings["near-duplicate"]).toBe(2);
    expect(audit.exceeded).toEqual([]);
  });
});

describe("giveaway list", () => {
  it("rejects duplicate ids, unknown kinds and patterns that do not compile", () => {
    const entry = {
      id: "a",
      kind: "naming test",
      pattern: "x",
      rationale: "a rationale of twenty characters",
    };
    expect(() => parseGiveawayPhrases(JSON.stringify([entry, entry]), "list.json")).toThrow(
      'list.json: duplicate giveaway id "a"',
    );
    expect(() => parseGiveawayPhrases(JSON.stringify([{ ...entry, pattern: "(" }]), "list.json")).toThrow(
      /^list\.json: giveaway "a": Invalid regular expression/,
    );
    expect(() => parseGiveawayPhrases(JSON.stringify([{ ...entry, kind: "hunch" }]))).toThrow();
  });
});
