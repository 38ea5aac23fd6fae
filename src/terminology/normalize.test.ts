import { describe, expect, it } from "vitest";
import { isAbbreviation, nameVariants, normalizeDiagnosis } from "./normalize.ts";

describe("normalizeDiagnosis", () => {
  it.each([
    ["Acute Appendicitis", "acute appendicitis"],
    ["  acute   appendicitis. ", "acute appendicitis"],
    // accents
    ["Guillain–Barré syndrome", "guillain barre syndrome"],
    ["Ménière's disease", "meniere disease"],
    ["Sjögren syndrome", "sjogren syndrome"],
    ["Henoch-Schoenlein purpura", "henoch schonlein purpura"],
    ["Paget-Schrötter syndrome", "paget schrotter syndrome"],
    // British and American spelling
    ["Subarachnoid haemorrhage", "subarachnoid hemorrhage"],
    ["Oesophageal rupture", "esophageal rupture"],
    ["Gastro-oesophageal reflux disease", "gastroesophageal reflux disease"],
    ["Iron-deficiency anaemia", "iron deficiency anemia"],
    ["Acute ischaemic stroke", "acute ischemic stroke"],
    ["Phaeochromocytoma", "pheochromocytoma"],
    ["Coeliac disease", "celiac disease"],
    ["Paediatric inflammatory multisystem syndrome", "pediatric inflammatory multisystem syndrome"],
    ["Placenta praevia", "placenta previa"],
    ["Diarrhoea", "diarrhea"],
    ["Leukaemia", "leukemia"],
    ["Granulosa cell tumour", "granulosa cell tumor"],
    ["Diffuse toxic goitre", "diffuse toxic goiter"],
    ["Generalised tonic-clonic seizure", "generalized tonic clonic seizure"],
    ["Hereditary angio-oedema", "hereditary angioedema"],
    // hyphens and joined prefixes
    ["Pre-eclampsia", "preeclampsia"],
    ["Pre eclampsia", "preeclampsia"],
    ["Non-Hodgkin lymphoma", "nonhodgkin lymphoma"],
    ["Tubo-ovarian abscess", "tuboovarian abscess"],
    // a word that is also the name of a property every object inherits
    ["Type constructor", "type constructor"],
    // words used one for the other
    ["Bipolar affective disorder", "bipolar affective disease"],
    ["Pyroglutamic aciduria", "pyroglutamic acidemia"],
    ["Ethylmalonic acidurias", "ethylmalonic acidemias"],
    ["Cushing syndrome", "cushing syndrome"],
    // possessives and articles
    ["Crohn's disease", "crohn disease"],
    ["Graves' disease", "graves disease"],
    ["An ectopic pregnancy", "ectopic pregnancy"],
    // word order of inverted names
    ["Appendicitis, acute", "acute appendicitis"],
    ["Pancreatitis, acute, necrotizing", "acute necrotizing pancreatitis"],
    ["Diabetes mellitus, type 2", "type 2 diabetes mellitus"],
    ["Hand, foot and mouth disease", "hand foot and mouth disease"],
    ["Fracture, hip", "fracture hip"],
    // numbers
    ["Type II diabetes mellitus", "type 2 diabetes mellitus"],
    ["Factor VIII deficiency", "factor 8 deficiency"],
    ["Third-degree AV block", "3rd degree av block"],
    ["β-thalassaemia major", "beta thalassemia major"],
    // clinically meaningful words stay
    ["Chronic pancreatitis", "chronic pancreatitis"],
    ["Pneumonia, unspecified", "pneumonia"],
    ["Asthma & COPD overlap", "asthma and copd overlap"],
  ])("%j → %j", (name, expected) => {
    expect(normalizeDiagnosis(name)).toEqual(expected);
  });
});

describe("isAbbreviation", () => {
  it.each([
    ["PE", true],
    ["STEMI", true],
    ["HFrEF", true],
    ["T1DM", true],
    ["vWD", true],
    ["Afib", false],
    ["acute", false],
    ["most likely", false],
    ["ABCDEFGHIJK", false],
  ])("%j → %j", (text, expected) => {
    expect(isAbbreviation(text)).toEqual(expected);
  });
});

describe("nameVariants", () => {
  it("splits a trailing abbreviation in parentheses off the name", () => {
    expect(nameVariants("Pulmonary embolism (PE)")).toEqual([
      "Pulmonary embolism (PE)",
      "Pulmonary embolism",
      "PE",
    ]);
    expect(nameVariants("Diabetes insipidus (central)")).toEqual(["Diabetes insipidus (central)"]);
    expect(nameVariants(" Appendicitis ")).toEqual(["Appendicitis"]);
  });

  it("gives every name in brackets beside the name without them", () => {
    expect(nameVariants("Systemic sclerosis (scleroderma)")).toEqual([
      "Systemic sclerosis (scleroderma)",
      "Systemic sclerosis",
      "scleroderma",
    ]);
    expect(nameVariants("Lupus (systemic lupus erythematosus, SLE)")).toEqual([
      "Lupus (systemic lupus erythematosus, SLE)",
      "Lupus",
      "systemic lupus erythematosus",
      "SLE",
    ]);
    expect(nameVariants("Trisomy 18 (i.e. Edwards syndrome)")).toEqual([
      "Trisomy 18 (i.e. Edwards syndrome)",
      "Trisomy 18",
      "Edwards syndrome",
    ]);
  });

  it("drops an abbreviation in the middle of a name", () => {
    expect(nameVariants("Ornithine transcarbamylase (OTC) deficiency")).toEqual([
      "Ornithine transcarbamylase (OTC) deficiency",
      "Ornithine transcarbamylase deficiency",
    ]);
    expect(nameVariants("Heart failure (with preserved) ejection fraction")).toEqual([
      "Heart failure (with preserved) ejection fraction",
    ]);
  });

  it("never takes a qualifier, an exclusion, an example or a cause in brackets for a name", () => {
    expect(nameVariants("Diabetes mellitus (type 2)")).toEqual(["Diabetes mellitus (type 2)"]);
    expect(nameVariants("Meningitis (bacterial)")).toEqual(["Meningitis (bacterial)"]);
    expect(nameVariants("Urea cycle disorder (other than OTC deficiency)")).toEqual([
      "Urea cycle disorder (other than OTC deficiency)",
      "Urea cycle disorder",
    ]);
    expect(nameVariants("Inborn error of metabolism (e.g. MSUD)")).toEqual([
      "Inborn error of metabolism (e.g. MSUD)",
      "Inborn error of metabolism",
    ]);
    expect(nameVariants("Hyperammonaemia (due to liver failure)")).toEqual([
      "Hyperammonaemia (due to liver failure)",
      "Hyperammonaemia",
    ]);
    expect(nameVariants("Acute bronchitis (or pneumonia)")).toEqual([
      "Acute bronchitis (or pneumonia)",
      "Acute bronchitis",
    ]);
    expect(nameVariants(`Pneumonia (${"x ".repeat(200)})`)).toHaveLength(1);
  });
});
