import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { storedDecisions } from "../../core/adjudication.ts";
import type { DiagnosisCase } from "../../core/case.ts";
import type { Completion, FinishReason } from "../../core/chat.ts";
import { terminologyWithOverlays } from "../../terminology/load-terminology.ts";
import type { DiagnosisGrade } from "./diagnosis-grade.ts";
import { gradeAnswer, gradeDiagnosis, type ReferenceNames, rankAnswers } from "./grade.ts";

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

/** The rung and verdict of one answer: what a clinician reading the audit trail checks first. */
function verdict(answer: string, reference: ReferenceNames) {
  const decision = gradeAnswer(answer, reference);
  return { rung: decision.rung, correct: decision.correct, matched: decision.matched };
}

const only = (diagnosis: string, reject: string[] = []) => ({ diagnosis, accept: [], reject });

describe("gradeAnswer, rung by rung", () => {
  it.each([
    // exact after normalisation (case, punctuation, word order, side, spelling, accents, hyphens)
    ["Acute appendicitis", appendicitis, { rung: "exact", correct: true, matched: "Acute appendicitis" }],
    ["ACUTE APPENDICITIS.", appendicitis, { rung: "exact", correct: true, matched: "Acute appendicitis" }],
    ["Appendicitis, acute", appendicitis, { rung: "exact", correct: true, matched: "Acute appendicitis" }],
    [
      "Left acute appendicitis",
      appendicitis,
      { rung: "exact", correct: true, matched: "Acute appendicitis" },
    ],
    [
      "Subarachnoid haemorrhage",
      only("Subarachnoid hemorrhage"),
      { rung: "exact", correct: true, matched: "Subarachnoid hemorrhage" },
    ],
    [
      "Guillain Barre syndrome",
      only("Guillain–Barré syndrome"),
      { rung: "exact", correct: true, matched: "Guillain–Barré syndrome" },
    ],
    ["Pulmonary embolism (PE)", only("PE"), { rung: "exact", correct: true, matched: "PE" }],
    // the case's accepted names
    [
      "Appendiceal abscess",
      appendicitis,
      { rung: "accepted", correct: true, matched: "Appendiceal abscess" },
    ],
    [
      "Oesophageal rupture",
      { diagnosis: "Boerhaave syndrome", accept: ["spontaneous esophageal rupture", "esophageal rupture"] },
      { rung: "accepted", correct: true, matched: "esophageal rupture" },
    ],
    // same concept in the terminology
    ["Appendicitis", appendicitis, { rung: "synonym", correct: true, matched: "appendicitis" }],
    [
      "DKA",
      only("Diabetic ketoacidosis"),
      { rung: "synonym", correct: true, matched: "diabetic ketoacidosis" },
    ],
    [
      "Aneurysmal SAH",
      only("Aneurysmal subarachnoid haemorrhage"),
      { rung: "synonym", correct: true, matched: "aneurysmal subarachnoid hemorrhage" },
    ],
    // more specific than the reference
    [
      "Perforated appendicitis",
      appendicitis,
      { rung: "more-specific", correct: true, matched: "appendicitis" },
    ],
    [
      "STEMI",
      only("Myocardial infarction"),
      { rung: "more-specific", correct: true, matched: "myocardial infarction" },
    ],
    [
      "Tubo-ovarian abscess",
      { diagnosis: "Pelvic inflammatory disease", accept: ["acute salpingitis"] },
      { rung: "more-specific", correct: true, matched: "pelvic inflammatory disease" },
    ],
    // composite: each part graded
    [
      "Acute cholecystitis with gallbladder empyema",
      only("Acute cholecystitis"),
      { rung: "composite", correct: true, matched: "Acute cholecystitis" },
    ],
    // broader: never correct under strict grading
    [
      "Pancreatitis",
      only("Acute pancreatitis"),
      { rung: "broader", correct: false, matched: "pancreatitis" },
    ],
    [
      "Small bowel obstruction",
      only("Adhesive small bowel obstruction"),
      { rung: "broader", correct: false, matched: "small bowel obstruction" },
    ],
    // undecided, with a suggestion for the reviewer
    ["MS", only("Multiple sclerosis"), { rung: "undecided", correct: null, matched: "multiple sclerosis" }],
    [
      "Biliary colic or acute cholecystitis",
      only("Acute cholecystitis"),
      { rung: "undecided", correct: null, matched: "Acute cholecystitis" },
    ],
    // a different concept
    ["Mesenteric adenitis", appendicitis, { rung: "different", correct: false, matched: null }],
    ["Crohn disease", appendicitis, { rung: "different", correct: false, matched: null }],
  ])("%j", (answer, reference, expected) => {
    expect(verdict(answer, reference)).toEqual(expected);
  });

  it("records the concepts, the matched name and the distance of each decision", () => {
    expect(gradeAnswer("Perforated appendicitis", appendicitis)).toEqual({
      answer: "Perforated appendicitis",
      rung: "more-specific",
      correct: true,
      answerConcepts: ["clinval:perforated-appendicitis"],
      referenceConcepts: ["DOID:8337", "clinval:appendiceal-abscess"],
      matched: "appendicitis",
      distance: 1,
      similarity: null,
    });
  });

  it("never counts a broader answer for a more specific reference", () => {
    for (const [answer, diagnosis] of [
      ["Myocardial infarction", "STEMI"],
      ["MI", "ST-elevation myocardial infarction"],
      ["Necrotizing fasciitis", "Fournier gangrene"],
      ["Ectopic pregnancy", "Ruptured ectopic pregnancy"],
      ["Adnexal torsion", "Ovarian torsion"],
    ]) {
      expect(verdict(answer, only(diagnosis))).toMatchObject({ rung: "broader", correct: false });
    }
  });

  it("does not let a name that contains the reference plus a negating prefix match", () => {
    expect(verdict("Non-Hodgkin lymphoma", only("Hodgkin lymphoma")).correct).toEqual(false);
    expect(verdict("NSTEMI", only("STEMI")).correct).toEqual(false);
    expect(verdict("Drug-induced lupus", only("Systemic lupus erythematosus")).correct).toEqual(false);
  });
});

/** A grade with each decision reduced to answer, rung and verdict, for whole-object comparisons. */
function summary(grade: Partial<DiagnosisGrade>) {
  const { decisions, ...rest } = grade;
  return {
    ...rest,
    decisions: decisions?.map((decision) => [decision.answer, decision.rung, decision.correct]),
  };
}

describe("rankAnswers", () => {
  it("ranks the first correct answer and keeps lenient equal when it comes first", () => {
    expect(
      summary(rankAnswers(["Mesenteric adenitis", "Appendicitis", "Acute appendicitis"], appendicitis)),
    ).toEqual({
      rank: 2,
      rung: "synonym",
      lenientRank: 2,
      needsReview: false,
      suggestion: null,
      decisions: [
        ["Mesenteric adenitis", "different", false],
        ["Appendicitis", "synonym", true],
        ["Acute appendicitis", "exact", true],
      ],
    });
  });

  it("counts a broader answer one step up for lenient grading only", () => {
    expect(
      summary(
        rankAnswers(["Pancreatitis", "Biliary colic", "Acute pancreatitis"], only("Acute pancreatitis")),
      ),
    ).toEqual({
      rank: 3,
      rung: "exact",
      lenientRank: 1,
      needsReview: false,
      suggestion: null,
      decisions: [
        ["Pancreatitis", "broader", false],
        ["Biliary colic", "different", false],
        ["Acute pancreatitis", "exact", true],
      ],
    });
  });

  it("flags an undecided answer with a suggestion for review", () => {
    expect(
      summary(
        rankAnswers(["Gallstone ileus", "Cholecystitis or biliary colic"], only("Acute cholecystitis")),
      ),
    ).toEqual({
      rank: null,
      rung: null,
      lenientRank: 2,
      needsReview: true,
      suggestion: { answer: "Cholecystitis or biliary colic", reference: "cholecystitis", similarity: 1 },
      decisions: [
        ["Gallstone ileus", "different", false],
        ["Cholecystitis or biliary colic", "undecided", null],
      ],
    });
  });

  it("gives nulls when nothing matches", () => {
    expect(summary(rankAnswers(["Migraine"], appendicitis))).toEqual({
      rank: null,
      rung: null,
      lenientRank: null,
      needsReview: false,
      suggestion: null,
      decisions: [["Migraine", "different", false]],
    });
  });

  it("consults a clinician's decision first and the judge only for undecided answers", () => {
    const decisions = storedDecisions(
      [
        {
          reference: "Acute appendicitis",
          answer: "Appendicitis",
          decision: "incorrect",
          reviewer: "Dr Ward",
          decidedAt: "2026-01-05",
          note: null,
        },
      ],
      ["Appendicitis", "Mesenteric adenitis", "Appendiceal mass"].map((answer) => ({
        reference: "Acute appendicitis",
        answer,
        verdict: "same" as const,
        rationale: "the same disease",
        judge: "openai judge",
      })),
    );
    const ranked = rankAnswers(["Appendicitis", "Mesenteric adenitis", "Appendiceal mass"], appendicitis, {
      decisions,
    });
    expect(summary(ranked)).toEqual({
      rank: 3,
      rung: "judge",
      lenientRank: 3,
      needsReview: false,
      suggestion: null,
      decisions: [
        ["Appendicitis", "clinician", false],
        ["Mesenteric adenitis", "different", false],
        ["Appendiceal mass", "judge", true],
      ],
      ladder: [
        { answer: "Appendicitis", rung: "clinician", decision: "incorrect" },
        { answer: "Mesenteric adenitis", rung: "different" },
        { answer: "Appendiceal mass", rung: "judge", decision: "same", rationale: "the same disease" },
      ],
    });
  });
});

describe("gradeDiagnosis", () => {
  const study = { topK: 5 };

  it("is correct when a correct answer is among the first k, with a decision per answer", () => {
    const grade = gradeDiagnosis(
      testCase,
      completion('{"diagnoses": ["Mesenteric lymphadenitis", "Appendicitis", "Ovarian torsion"]}'),
      study,
    );
    const referenceConcepts = ["DOID:8337", "clinval:appendiceal-abscess"];
    const expected: DiagnosisGrade = {
      outcome: "correct",
      answers: ["Mesenteric lymphadenitis", "Appendicitis", "Ovarian torsion"],
      rank: 2,
      rung: "synonym",
      lenientRank: 2,
      needsReview: false,
      suggestion: null,
      decisions: [
        {
          answer: "Mesenteric lymphadenitis",
          rung: "different",
          correct: false,
          answerConcepts: ["DOID:10782"],
          referenceConcepts,
          matched: null,
          distance: null,
          similarity: null,
        },
        {
          answer: "Appendicitis",
          rung: "synonym",
          correct: true,
          answerConcepts: ["DOID:8337"],
          referenceConcepts,
          matched: "appendicitis",
          distance: null,
          similarity: null,
        },
        {
          answer: "Ovarian torsion",
          rung: "different",
          correct: false,
          answerConcepts: ["clinval:ovarian-torsion"],
          referenceConcepts,
          matched: null,
          distance: null,
          similarity: null,
        },
      ],
    };
    expect(grade).toEqual(expected);
  });

  it("is incorrect when the match comes after the first k", () => {
    expect(
      summary(
        gradeDiagnosis(
          testCase,
          completion("1. Mesenteric adenitis\n2. Gastroenteritis\n3. Acute appendicitis"),
          {
            topK: 2,
          },
        ),
      ),
    ).toEqual({
      outcome: "incorrect",
      answers: ["Mesenteric adenitis", "Gastroenteritis"],
      rank: null,
      rung: null,
      lenientRank: null,
      needsReview: false,
      suggestion: null,
      decisions: [
        ["Mesenteric adenitis", "different", false],
        ["Gastroenteritis", "different", false],
      ],
    });
  });

  it("never counts an answer its own explanation excludes", () => {
    expect(
      summary(
        gradeDiagnosis(
          testCase,
          completion("1. Acute appendicitis – excluded by the normal ultrasound\n2. Mesenteric adenitis"),
          study,
        ),
      ),
    ).toEqual({
      outcome: "incorrect",
      answers: ["Acute appendicitis", "Mesenteric adenitis"],
      rank: null,
      rung: null,
      lenientRank: null,
      needsReview: false,
      suggestion: null,
      decisions: [
        ["Acute appendicitis", "excluded", false],
        ["Mesenteric adenitis", "different", false],
      ],
    });
  });

  it("uses the study's terminology overlays", () => {
    const terminology = terminologyWithOverlays([join(import.meta.dirname, "fixtures", "site-terms.yaml")]);
    expect(summary(gradeDiagnosis(testCase, completion("Appy"), study, terminology))).toMatchObject({
      outcome: "correct",
      rung: "synonym",
      decisions: [["Appy", "synonym", true]],
    });
    expect(summary(gradeDiagnosis(testCase, completion("Appy"), study))).toMatchObject({
      outcome: "incorrect",
      decisions: [["Appy", "undecided", null]],
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
    ["CAP", "Community-acquired pneumonia", ["Lobar pneumonia"], "synonym"],
    [
      "Inferior wall MI",
      "Acute inferior ST-elevation myocardial infarction",
      ["Acute inferior myocardial infarction"],
      "synonym",
    ],
    [
      "AECOPD",
      "Acute exacerbation of chronic obstructive pulmonary disease",
      ["COPD exacerbation"],
      "synonym",
    ],
    ["Phaeochromocytoma", "Pheochromocytoma", [], "exact"],
    ["HONK", "Hyperosmolar hyperglycaemic state", ["HHS"], "synonym"],
    ["C. diff colitis", "Clostridioides difficile infection", [], "synonym"],
    ["Left MCA stroke", "Acute ischaemic stroke", ["Ischaemic stroke"], "more-specific"],
    ["GTCS", "First generalised tonic-clonic seizure", ["Generalized tonic-clonic seizure"], "synonym"],
    ["Aneurysmal SAH", "Subarachnoid haemorrhage", ["Aneurysmal subarachnoid haemorrhage"], "synonym"],
    [
      "Aneurysmal subarachnoid hemorrhage",
      "Subarachnoid haemorrhage",
      ["Aneurysmal subarachnoid haemorrhage"],
      "accepted",
    ],
    ["AIDP", "Guillain–Barré syndrome", [], "more-specific"],
    ["HSE", "Herpes simplex encephalitis", [], "synonym"],
    ["Asthma exacerbation", "Acute severe asthma", ["Acute exacerbation of asthma"], "synonym"],
    ["HHV-6 infection", "Roseola infantum", ["Human herpesvirus 6 infection"], "synonym"],
    ["Henoch Schonlein purpura", "IgA vasculitis", [], "synonym"],
    ["New-onset T1DM", "Type 1 diabetes mellitus", [], "more-specific"],
    ["B-ALL", "Acute lymphoblastic leukaemia", [], "more-specific"],
    ["STEC-HUS", "Haemolytic uraemic syndrome", [], "more-specific"],
    ["Kidney stone", "Ureteric calculus", ["urolithiasis"], "more-specific"],
    ["Ruptured AAA", "Ruptured abdominal aortic aneurysm", [], "synonym"],
    ["SMA embolism", "Acute mesenteric ischaemia", [], "more-specific"],
    ["Zenker's diverticulum", "Pharyngeal pouch", [], "synonym"],
    ["Paget-Schrötter syndrome", "Paget-Schroetter syndrome", [], "exact"],
    ["PID", "Pelvic inflammatory disease", [], "synonym"],
    ["Preeclampsia", "Pre-eclampsia", [], "exact"],
    ["AFLP", "Acute fatty liver of pregnancy", [], "synonym"],
    ["Placenta previa", "Placenta praevia", [], "exact"],
    ["Granulosa cell tumor", "Granulosa cell tumour of the ovary", [], "synonym"],
    ["MRKH", "Mayer-Rokitansky-Küster-Hauser syndrome", [], "synonym"],
  ])("%j for %j", (answer, diagnosis, accept, rung) => {
    expect(gradeAnswer(answer, { diagnosis, accept })).toMatchObject({ rung, correct: true });
  });
});
