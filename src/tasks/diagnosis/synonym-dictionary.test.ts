import { describe, expect, it } from "vitest";
import { AMBIGUOUS_ABBREVIATIONS, CLINICAL_SYNONYMS } from "./clinical-synonyms.ts";
import { clinicalDictionary } from "./grade.ts";
import { normalizeDiagnosis } from "./normalize.ts";
import { SynonymDictionary, type SynonymGroup } from "./synonym-dictionary.ts";

const groups: SynonymGroup[] = [
  { names: ["myocardial infarction", "MI", "heart attack"] },
  { names: ["ST-elevation myocardial infarction", "STEMI"], kindOf: ["myocardial infarction"] },
  { names: ["anterior STEMI"], kindOf: ["STEMI"] },
  { names: ["non-ST-elevation myocardial infarction", "NSTEMI"], kindOf: ["MI"] },
  { names: ["multiple sclerosis"] },
  { names: ["mitral stenosis"] },
];

describe("SynonymDictionary", () => {
  const dictionary = new SynonymDictionary(groups, { MS: ["multiple sclerosis", "mitral stenosis"] });

  it("matches names of one group both ways", () => {
    expect(dictionary.covers("heart attack", "MI")).toEqual(true);
    expect(dictionary.covers("MI", "Myocardial infarction")).toEqual(true);
  });

  it("lets a more specific answer match a broader reference, never the reverse", () => {
    expect(dictionary.covers("STEMI", "myocardial infarction")).toEqual(true);
    expect(dictionary.covers("myocardial infarction", "STEMI")).toEqual(false);
    expect(dictionary.covers("anterior STEMI", "heart attack")).toEqual(true);
    expect(dictionary.covers("heart attack", "anterior STEMI")).toEqual(false);
    expect(dictionary.covers("NSTEMI", "STEMI")).toEqual(false);
    expect(dictionary.covers("STEMI", "NSTEMI")).toEqual(false);
  });

  it("writes out abbreviations inside a name it does not know", () => {
    expect(dictionary.preferredName("Anterior ST-elevation MI")).toEqual(undefined);
    expect(dictionary.preferredName("Anterior STEMI")).toEqual("anterior STEMI");
    expect(
      new SynonymDictionary([...groups, { names: ["anterior myocardial infarction"] }]).synonyms(
        "Anterior MI",
      ),
    ).toEqual(["anterior myocardial infarction"]);
  });

  it("knows nothing of names outside it", () => {
    expect(dictionary.covers("migraine", "migraine")).toEqual(false);
    expect(dictionary.synonyms("migraine")).toEqual([]);
    expect(dictionary.preferredName("migraine")).toEqual(undefined);
  });

  it("keeps ambiguous abbreviations out of the groups", () => {
    expect(dictionary.meaningsOf("MS")).toEqual(["multiple sclerosis", "mitral stenosis"]);
    expect(dictionary.covers("MS", "multiple sclerosis")).toEqual(false);
    expect(dictionary.meaningsOf("MI")).toEqual([]);
  });

  it.each([
    [[{ names: ["MI"] }, { names: ["mi"] }], {}, '"mi" is in two synonym groups: "MI" and "mi"'],
    [[{ names: ["STEMI"], kindOf: ["infarct"] }], {}, '"STEMI" is a kind of unknown "infarct"'],
    [
      [
        { names: ["a disease"], kindOf: ["b disease"] },
        { names: ["b disease"], kindOf: ["a disease"] },
      ],
      {},
      '"a disease" is, through its kinds, a kind of itself',
    ],
    [[{ names: [] }], {}, "synonym group 0 has no names"],
    [[{ names: ["mitral stenosis", "MS"] }], { MS: ["mitral stenosis"] }, 'ambiguous "MS" is also a synonym'],
    [
      [{ names: ["mitral stenosis"] }],
      { MS: ["multiple sclerosis"] },
      'ambiguous "MS" means unknown "multiple sclerosis"',
    ],
  ])("rejects inconsistent data: %#", (badGroups, ambiguous, message) => {
    expect(() => new SynonymDictionary(badGroups as SynonymGroup[], ambiguous)).toThrow(message);
  });
});

describe("the clinical dictionary", () => {
  it("has at least 150 equivalence groups of two or more names", () => {
    expect(CLINICAL_SYNONYMS.filter((group) => group.names.length >= 2).length).toBeGreaterThanOrEqual(150);
  });

  it("lists no name twice in a group once normalised", () => {
    const redundant = CLINICAL_SYNONYMS.flatMap((group) => {
      const keys = group.names.map(normalizeDiagnosis);
      return group.names.filter((_, index) => keys.indexOf(keys[index]) !== index);
    });
    expect(redundant).toEqual([]);
  });

  it("resolves every ambiguous abbreviation to at least two meanings", () => {
    const single = Object.entries(AMBIGUOUS_ABBREVIATIONS).filter(([, meanings]) => meanings.length < 2);
    expect(single).toEqual([]);
  });

  it.each([
    ["MI", "myocardial infarction"],
    ["STEMI", "ST-elevation myocardial infarction"],
    ["NSTEMI", "non-ST-elevation myocardial infarction"],
    ["PE", "pulmonary embolism"],
    ["DVT", "deep vein thrombosis"],
    ["DKA", "diabetic ketoacidosis"],
    ["HHS", "hyperosmolar hyperglycemic state"],
    ["SAH", "subarachnoid hemorrhage"],
    ["TIA", "transient ischemic attack"],
    ["GBS", "Guillain-Barré syndrome"],
    ["SLE", "systemic lupus erythematosus"],
    ["COPD", "chronic obstructive pulmonary disease"],
    ["AECOPD", "acute exacerbation of COPD"],
    ["CAP", "community-acquired pneumonia"],
    ["UTI", "urinary tract infection"],
    ["AKI", "acute kidney injury"],
    ["ACS", "acute coronary syndrome"],
    ["AAA", "abdominal aortic aneurysm"],
    ["SBO", "small bowel obstruction"],
    ["PID", "pelvic inflammatory disease"],
    ["HELLP", "HELLP syndrome"],
    ["ITP", "immune thrombocytopenia"],
    ["TTP", "thrombotic thrombocytopenic purpura"],
    ["HUS", "hemolytic uremic syndrome"],
    ["ALL", "acute lymphoblastic leukemia"],
    ["AML", "acute myeloid leukemia"],
    ["CVST", "cerebral venous sinus thrombosis"],
    ["IIH", "idiopathic intracranial hypertension"],
    ["BPPV", "benign paroxysmal positional vertigo"],
    ["MG", "myasthenia gravis"],
    ["ALS", "amyotrophic lateral sclerosis"],
    ["heart attack", "myocardial infarction"],
    ["glandular fever", "infectious mononucleosis"],
    ["quinsy", "peritonsillar abscess"],
    ["abruptio placentae", "placental abruption"],
    ["Wegener's granulomatosis", "granulomatosis with polyangiitis"],
    ["Henoch-Schönlein purpura", "IgA vasculitis"],
    ["Zenker's diverticulum", "Zenker diverticulum"],
    ["Haemolytic uraemic syndrome", "hemolytic uremic syndrome"],
  ])("%j is %j", (name, preferred) => {
    expect(clinicalDictionary.preferredName(name)).toEqual(preferred);
  });

  it.each([
    // [answer, reference, covers]
    ["STEMI", "myocardial infarction", true],
    ["myocardial infarction", "STEMI", false],
    ["NSTEMI", "acute coronary syndrome", true],
    ["acute coronary syndrome", "NSTEMI", false],
    ["ruptured AAA", "abdominal aortic aneurysm", true],
    ["abdominal aortic aneurysm", "ruptured AAA", false],
    ["aneurysmal SAH", "subarachnoid hemorrhage", true],
    ["subarachnoid hemorrhage", "aneurysmal subarachnoid hemorrhage", false],
    ["tension pneumothorax", "pneumothorax", true],
    ["pneumothorax", "tension pneumothorax", false],
    ["perforated duodenal ulcer", "peptic ulcer disease", true],
    ["Fournier gangrene", "necrotizing fasciitis", true],
    ["necrotizing fasciitis", "Fournier gangrene", false],
    ["ruptured tubal pregnancy", "ectopic pregnancy", true],
    ["HELLP syndrome", "pre-eclampsia", true],
    ["drug-induced lupus", "SLE", false],
    ["AIDP", "GBS", true],
    ["GBS", "AIDP", false],
    ["viral meningitis", "bacterial meningitis", false],
    ["acute pancreatitis", "chronic pancreatitis", false],
  ])("%j for %j → %j", (answer, reference, expected) => {
    expect(clinicalDictionary.covers(answer, reference)).toEqual(expected);
  });
});
