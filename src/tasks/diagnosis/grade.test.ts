import { describe, expect, it } from "vitest";
import type { DiagnosisCase } from "../../core/case.ts";
import type { Completion, FinishReason } from "../../core/chat.ts";
import type { DiagnosisGrade } from "./diagnosis-grade.ts";
import { gradeDiagnosis, matchAnswer, rankAnswers } from "./grade.ts";

const appendicitis = { diagnosis: "Acute appendicitis", accept: ["Appendiceal abscess"] };

function completion(text: string, finishReason: FinishReason = "stop"): Completion {
  return {
    text,
    reasoning: null,
    finishReason,
    tokens: { prompt: 100, completion: 40, reasoning: null },
    latencyMs: 1200,
    model: { provider: "fake", model: "fake-model" },
  };
}

const testCase: DiagnosisCase = {
  id: "dx-test",
  presentation: "A 24-year-old man with periumbilical pain moving to the right iliac fossa …",
  diagnosis: "Acute appendicitis",
  accept: ["Appendiceal abscess"],
};

describe("matchAnswer, rung by rung", () => {
  it.each([
    // 1. exact after normalisation
    ["Acute appendicitis", appendicitis, { rung: "exact", reference: "Acute appendicitis", similarity: 1 }],
    ["ACUTE APPENDICITIS.", appendicitis, { rung: "exact", reference: "Acute appendicitis", similarity: 1 }],
    ["Appendicitis, acute", appendicitis, { rung: "exact", reference: "Acute appendicitis", similarity: 1 }],
    [
      "Left acute appendicitis",
      appendicitis,
      { rung: "exact", reference: "Acute appendicitis", similarity: 1 },
    ],
    [
      "Subarachnoid haemorrhage",
      { diagnosis: "Subarachnoid hemorrhage", accept: [] },
      { rung: "exact", reference: "Subarachnoid hemorrhage", similarity: 1 },
    ],
    [
      "Guillain Barre syndrome",
      { diagnosis: "Guillain–Barré syndrome", accept: [] },
      { rung: "exact", reference: "Guillain–Barré syndrome", similarity: 1 },
    ],
    [
      "Pulmonary embolism (PE)",
      { diagnosis: "PE", accept: [] },
      { rung: "exact", reference: "PE", similarity: 1 },
    ],
    // 2. the case's accepted names
    [
      "Appendiceal abscess",
      appendicitis,
      { rung: "accepted", reference: "Appendiceal abscess", similarity: 1 },
    ],
    [
      "Oesophageal rupture",
      { diagnosis: "Boerhaave syndrome", accept: ["spontaneous esophageal rupture", "esophageal rupture"] },
      { rung: "accepted", reference: "esophageal rupture", similarity: 1 },
    ],
    // 3. the dictionary
    ["Appendicitis", appendicitis, { rung: "dictionary", reference: "Acute appendicitis", similarity: 1 }],
    [
      "Perforated appendicitis",
      appendicitis,
      { rung: "dictionary", reference: "Acute appendicitis", similarity: 1 },
    ],
    [
      "acute appendicitis with perforation",
      appendicitis,
      { rung: "dictionary", reference: "Acute appendicitis", similarity: 1 },
    ],
    [
      "DKA",
      { diagnosis: "Diabetic ketoacidosis", accept: [] },
      { rung: "dictionary", reference: "Diabetic ketoacidosis", similarity: 1 },
    ],
    [
      "STEMI",
      { diagnosis: "Myocardial infarction", accept: [] },
      { rung: "dictionary", reference: "Myocardial infarction", similarity: 1 },
    ],
    [
      "Aneurysmal SAH",
      { diagnosis: "Subarachnoid haemorrhage", accept: [] },
      { rung: "dictionary", reference: "Subarachnoid haemorrhage", similarity: 1 },
    ],
    [
      "Tubo-ovarian abscess",
      { diagnosis: "Pelvic inflammatory disease", accept: ["acute salpingitis"] },
      { rung: "dictionary", reference: "Pelvic inflammatory disease", similarity: 1 },
    ],
    // 4. fuzzy suggestions
    [
      "Acute cholecystitis with gallbladder empyema",
      { diagnosis: "Acute cholecystitis", accept: [] },
      { rung: "fuzzy", reference: "Acute cholecystitis", similarity: 0.667 },
    ],
    [
      "Pancreatitis",
      { diagnosis: "Acute pancreatitis", accept: [] },
      { rung: "fuzzy", reference: "Acute pancreatitis", similarity: 0.667 },
    ],
    [
      "Small bowel obstruction",
      { diagnosis: "Adhesive small bowel obstruction", accept: [] },
      { rung: "fuzzy", reference: "Adhesive small bowel obstruction", similarity: 0.857 },
    ],
    [
      "MS",
      { diagnosis: "Multiple sclerosis", accept: [] },
      { rung: "fuzzy", reference: "Multiple sclerosis", similarity: 1 },
    ],
    [
      "Biliary colic or acute cholecystitis",
      { diagnosis: "Acute cholecystitis", accept: [] },
      { rung: "fuzzy", reference: "Acute cholecystitis", similarity: 1 },
    ],
    // no match
    ["Mesenteric adenitis", appendicitis, null],
    ["Crohn disease", appendicitis, null],
  ])("%j", (answer, reference, expected) => {
    expect(matchAnswer(answer, reference)).toEqual(expected);
  });

  it("never counts a broader answer for a more specific reference", () => {
    expect(matchAnswer("Myocardial infarction", { diagnosis: "STEMI", accept: [] })).toEqual(null);
    expect(matchAnswer("MI", { diagnosis: "ST-elevation myocardial infarction", accept: [] })).toEqual(null);
    expect(matchAnswer("Necrotizing fasciitis", { diagnosis: "Fournier gangrene", accept: [] })).toEqual(
      null,
    );
    // Broader by a qualifying word only: a suggestion for review, never strict.
    expect(matchAnswer("Ectopic pregnancy", { diagnosis: "Ruptured ectopic pregnancy", accept: [] })).toEqual(
      {
        rung: "fuzzy",
        reference: "Ruptured ectopic pregnancy",
        similarity: 0.8,
      },
    );
    expect(matchAnswer("Adnexal torsion", { diagnosis: "Ovarian torsion", accept: [] })).toEqual(null);
  });

  it("does not let a name that contains the reference plus a negating prefix match", () => {
    expect(matchAnswer("Non-Hodgkin lymphoma", { diagnosis: "Hodgkin lymphoma", accept: [] })).toEqual(null);
    expect(matchAnswer("NSTEMI", { diagnosis: "STEMI", accept: [] })).toEqual(null);
    expect(
      matchAnswer("Drug-induced lupus", { diagnosis: "Systemic lupus erythematosus", accept: [] }),
    ).toEqual(null);
  });
});

describe("rankAnswers", () => {
  it("ranks the first strict match and keeps lenient equal when it comes first", () => {
    expect(rankAnswers(["Mesenteric adenitis", "Appendicitis", "Acute appendicitis"], appendicitis)).toEqual({
      rank: 2,
      rung: "dictionary",
      lenientRank: 2,
      needsReview: false,
      suggestion: null,
    });
  });

  it("flags a fuzzy suggestion ranked before the strict match", () => {
    expect(
      rankAnswers(["Pancreatitis", "Biliary colic", "Acute pancreatitis"], {
        diagnosis: "Acute pancreatitis",
        accept: [],
      }),
    ).toEqual({
      rank: 3,
      rung: "exact",
      lenientRank: 1,
      needsReview: true,
      suggestion: { answer: "Pancreatitis", reference: "Acute pancreatitis", similarity: 0.667 },
    });
  });

  it("flags a case whose only match is fuzzy", () => {
    expect(
      rankAnswers(["Biliary colic", "Cholecystitis"], { diagnosis: "Acute cholecystitis", accept: [] }),
    ).toEqual({
      rank: null,
      rung: null,
      lenientRank: 2,
      needsReview: true,
      suggestion: { answer: "Cholecystitis", reference: "Acute cholecystitis", similarity: 0.667 },
    });
  });

  it("gives nulls when nothing matches", () => {
    expect(rankAnswers(["Migraine"], appendicitis)).toEqual({
      rank: null,
      rung: null,
      lenientRank: null,
      needsReview: false,
      suggestion: null,
    });
  });
});

describe("gradeDiagnosis", () => {
  const study = { topK: 5 };

  it("is correct when a strict match is among the first k", () => {
    const expected: DiagnosisGrade = {
      outcome: "correct",
      answers: ["Mesenteric lymphadenitis", "Appendicitis", "Ovarian torsion"],
      rank: 2,
      rung: "dictionary",
      lenientRank: 2,
      needsReview: false,
      suggestion: null,
    };
    expect(
      gradeDiagnosis(
        testCase,
        completion('{"diagnoses": ["Mesenteric lymphadenitis", "Appendicitis", "Ovarian torsion"]}'),
        study,
      ),
    ).toEqual(expected);
  });

  it("is incorrect when the match comes after the first k", () => {
    expect(
      gradeDiagnosis(
        testCase,
        completion("1. Mesenteric adenitis\n2. Gastroenteritis\n3. Acute appendicitis"),
        { topK: 2 },
      ),
    ).toEqual({
      outcome: "incorrect",
      answers: ["Mesenteric adenitis", "Gastroenteritis"],
      rank: null,
      rung: null,
      lenientRank: null,
      needsReview: false,
      suggestion: null,
    });
  });

  it("is incorrect, flagged for review, when only a fuzzy suggestion matches", () => {
    expect(
      gradeDiagnosis(
        { ...testCase, diagnosis: "Acute cholecystitis", accept: undefined },
        completion("Cholecystitis; biliary colic; hepatitis"),
        study,
      ),
    ).toEqual({
      outcome: "incorrect",
      answers: ["Cholecystitis", "biliary colic", "hepatitis"],
      rank: null,
      rung: null,
      lenientRank: 1,
      needsReview: true,
      suggestion: { answer: "Cholecystitis", reference: "Acute cholecystitis", similarity: 0.667 },
    });
  });

  it("is truncated when the token limit cut the answer, keeping what was extracted but no rank", () => {
    expect(
      gradeDiagnosis(
        testCase,
        completion('{"diagnoses": ["Acute appendicitis", "Ovarian tor', "length"),
        study,
      ),
    ).toEqual({
      outcome: "truncated",
      answers: ["Acute appendicitis"],
      rank: null,
      rung: null,
      lenientRank: null,
      needsReview: false,
      suggestion: null,
    });
    expect(gradeDiagnosis(testCase, completion("", "length"), study)).toEqual({
      outcome: "truncated",
      answers: [],
      rank: null,
      rung: null,
      lenientRank: null,
      needsReview: false,
      suggestion: null,
    });
  });

  it("is unparseable when no diagnosis can be extracted", () => {
    expect(
      gradeDiagnosis(testCase, completion("I'm sorry, but I can't help with diagnosing patients."), study),
    ).toEqual({
      outcome: "unparseable",
      answers: [],
      rank: null,
      rung: null,
      lenientRank: null,
      needsReview: false,
      suggestion: null,
    });
  });
});

/** Phrasings models give for dx-core cases, with the case's reference and some of its accepted names. */
describe("dx-core phrasings", () => {
  it.each([
    ["CAP", "Community-acquired pneumonia", ["Lobar pneumonia"], "dictionary"],
    [
      "Inferior wall MI",
      "Acute inferior ST-elevation myocardial infarction",
      ["Acute inferior myocardial infarction"],
      "dictionary",
    ],
    [
      "AECOPD",
      "Acute exacerbation of chronic obstructive pulmonary disease",
      ["COPD exacerbation"],
      "dictionary",
    ],
    ["Phaeochromocytoma", "Pheochromocytoma", [], "exact"],
    ["HONK", "Hyperosmolar hyperglycaemic state", ["HHS"], "dictionary"],
    ["C. diff colitis", "Clostridioides difficile infection", [], "dictionary"],
    ["Left MCA stroke", "Acute ischaemic stroke", ["Ischaemic stroke"], "dictionary"],
    ["GTCS", "First generalised tonic-clonic seizure", ["Generalized tonic-clonic seizure"], "dictionary"],
    ["Aneurysmal SAH", "Subarachnoid haemorrhage", ["Aneurysmal subarachnoid haemorrhage"], "dictionary"],
    [
      "Aneurysmal subarachnoid hemorrhage",
      "Subarachnoid haemorrhage",
      ["Aneurysmal subarachnoid haemorrhage"],
      "accepted",
    ],
    ["AIDP", "Guillain–Barré syndrome", [], "dictionary"],
    ["HSE", "Herpes simplex encephalitis", [], "dictionary"],
    ["Asthma exacerbation", "Acute severe asthma", ["Acute exacerbation of asthma"], "dictionary"],
    ["HHV-6 infection", "Roseola infantum", ["Human herpesvirus 6 infection"], "dictionary"],
    ["Henoch Schonlein purpura", "IgA vasculitis", [], "dictionary"],
    ["New-onset T1DM", "Type 1 diabetes mellitus", [], "dictionary"],
    ["B-ALL", "Acute lymphoblastic leukaemia", [], "dictionary"],
    ["STEC-HUS", "Haemolytic uraemic syndrome", [], "dictionary"],
    ["Kidney stone", "Ureteric calculus", ["urolithiasis"], "dictionary"],
    ["Ruptured AAA", "Ruptured abdominal aortic aneurysm", [], "dictionary"],
    ["SMA embolism", "Acute mesenteric ischaemia", [], "dictionary"],
    ["Zenker's diverticulum", "Pharyngeal pouch", [], "dictionary"],
    ["Paget-Schrötter syndrome", "Paget-Schroetter syndrome", [], "exact"],
    ["PID", "Pelvic inflammatory disease", [], "dictionary"],
    ["Preeclampsia", "Pre-eclampsia", [], "exact"],
    ["AFLP", "Acute fatty liver of pregnancy", [], "dictionary"],
    ["Placenta previa", "Placenta praevia", [], "exact"],
    ["Granulosa cell tumor", "Granulosa cell tumour of the ovary", [], "dictionary"],
    ["MRKH", "Mayer-Rokitansky-Küster-Hauser syndrome", [], "dictionary"],
  ])("%j for %j", (answer, diagnosis, accept, rung) => {
    expect(matchAnswer(answer, { diagnosis, accept })?.rung).toEqual(rung);
  });
});
