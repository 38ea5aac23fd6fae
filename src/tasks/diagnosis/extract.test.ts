import { describe, expect, it } from "vitest";
import { cleanItem, extractDiagnoses } from "./extract.ts";

interface ExtractionCase {
  style: string;
  answer: string;
  k?: number;
  expected: string[];
}

const APPENDICITIS_FIVE = [
  "Acute appendicitis",
  "Mesenteric lymphadenitis",
  "Ovarian torsion",
  "Ectopic pregnancy",
  "Pelvic inflammatory disease",
];

const cases: ExtractionCase[] = [
  // JSON, as asked
  {
    style: "bare JSON object",
    answer:
      '{"diagnoses": ["Acute appendicitis", "Mesenteric lymphadenitis", "Ovarian torsion", "Ectopic pregnancy", "Pelvic inflammatory disease"]}',
    expected: APPENDICITIS_FIVE,
  },
  {
    style: "Qwen 2.5: pretty-printed JSON in a json fence",
    answer:
      '```json\n{\n  "diagnoses": [\n    "Acute appendicitis",\n    "Mesenteric lymphadenitis",\n    "Ovarian torsion",\n    "Ectopic pregnancy",\n    "Pelvic inflammatory disease"\n  ]\n}\n```',
    expected: APPENDICITIS_FIVE,
  },
  {
    style: "Llama 3.1: chatty preamble, JSON, trailing explanation",
    answer:
      'Based on the patient\'s presentation of right lower quadrant pain, fever and leukocytosis, here are the most likely diagnoses:\n\n{"diagnoses": ["Acute appendicitis", "Mesenteric lymphadenitis", "Ovarian torsion", "Ectopic pregnancy", "Pelvic inflammatory disease"]}\n\nThese diagnoses are ranked from most likely to least likely. Acute appendicitis is the most likely given the migration of pain.',
    expected: APPENDICITIS_FIVE,
  },
  {
    style: "R1 distill: JSON fence followed by a disclaimer",
    answer:
      '```json\n{"diagnoses": ["Subarachnoid hemorrhage", "Migraine", "Reversible cerebral vasoconstriction syndrome", "Cerebral venous sinus thrombosis", "Bacterial meningitis"]}\n```\n\n**Note:** This is a preliminary assessment; urgent non-contrast CT of the head is indicated.',
    expected: [
      "Subarachnoid hemorrhage",
      "Migraine",
      "Reversible cerebral vasoconstriction syndrome",
      "Cerebral venous sinus thrombosis",
      "Bacterial meningitis",
    ],
  },
  {
    style: "unlabelled fence with a different key",
    answer:
      '```\n{"differential_diagnosis": ["Pulmonary embolism", "Pneumonia", "Acute coronary syndrome"]}\n```',
    expected: ["Pulmonary embolism", "Pneumonia", "Acute coronary syndrome"],
  },
  {
    style: "objects with diagnosis and explanation fields",
    answer:
      '{"diagnoses": [{"rank": 1, "diagnosis": "Diabetic ketoacidosis", "reasoning": "glucose 32 mmol/L, ketones"}, {"rank": 2, "diagnosis": "Hyperosmolar hyperglycemic state"}, {"rank": 3, "name": "Sepsis"}]}',
    expected: ["Diabetic ketoacidosis", "Hyperosmolar hyperglycemic state", "Sepsis"],
  },
  {
    style: "small model: numbered keys",
    answer:
      '{"diagnosis_1": "Guillain-Barré syndrome", "diagnosis_2": "Transverse myelitis", "diagnosis_3": "Myasthenia gravis"}',
    expected: ["Guillain-Barré syndrome", "Transverse myelitis", "Myasthenia gravis"],
  },
  {
    style: "small model: diagnoses as one string",
    answer: '{"diagnoses": "Ectopic pregnancy, ruptured ovarian cyst, appendicitis"}',
    expected: ["Ectopic pregnancy", "ruptured ovarian cyst", "appendicitis"],
  },
  {
    style: "small model: Python quotes with an apostrophe and a trailing comma",
    answer: "{'diagnoses': ['Crohn's disease', 'Ulcerative colitis', 'Infectious colitis',]}",
    expected: ["Crohn's disease", "Ulcerative colitis", "Infectious colitis"],
  },
  {
    style: "bare JSON array",
    answer: '["Kawasaki disease", "Scarlet fever", "Measles"]',
    expected: ["Kawasaki disease", "Scarlet fever", "Measles"],
  },
  {
    style: "objects keyed by the diagnosis",
    answer:
      '{"diagnoses": [{"Placental abruption": "painful bleeding, hard uterus"}, {"Placenta previa": "painless"}]}',
    expected: ["Placental abruption", "Placenta previa"],
  },
  {
    style: "JSON with numbering and bold inside the strings",
    answer:
      '{"diagnoses": ["1. **Testicular torsion**", "2. Epididymitis", "3. Torsion of the appendix testis"]}',
    expected: ["Testicular torsion", "Epididymitis", "Torsion of the appendix testis"],
  },
  {
    style: "JSON cut off by the token limit",
    answer: '{"diagnoses": ["Acute pancreatitis", "Perforated peptic ulcer", "Acute cholecys',
    expected: ["Acute pancreatitis", "Perforated peptic ulcer"],
  },
  {
    style: "JSON with more than k entries and a duplicate",
    answer:
      '{"diagnoses": ["Pneumonia", "pneumonia", "Pulmonary embolism", "Heart failure", "COPD exacerbation", "Lung cancer", "Tuberculosis"]}',
    expected: ["Pneumonia", "Pulmonary embolism", "Heart failure", "COPD exacerbation"],
  },
  {
    style: "wrapper object with a final_answer key",
    answer:
      '{"reasoning": "fever and neck stiffness", "final_answer": ["Bacterial meningitis", "Viral meningitis"]}',
    expected: ["Bacterial meningitis", "Viral meningitis"],
  },
  {
    style: "primary diagnosis plus a differential list",
    answer:
      '{"primary_diagnosis": "Acute pancreatitis", "differential_diagnoses": ["Perforated ulcer", "Cholangitis"]}',
    expected: ["Acute pancreatitis", "Perforated ulcer", "Cholangitis"],
  },
  // Markdown lists
  {
    style: "R1 distill: markdown heading, bold names with explanations after a dash",
    answer:
      "### Differential Diagnosis\n\n1. **Acute Appendicitis** – Classic migration of periumbilical pain to the right lower quadrant with fever.\n2. **Mesenteric Lymphadenitis** – Recent viral illness.\n3. **Ovarian Torsion** – Sudden onset, must be excluded.\n4. **Ectopic Pregnancy** – Needs a pregnancy test.\n5. **Pelvic Inflammatory Disease** – Less likely without discharge.",
    expected: [
      "Acute Appendicitis",
      "Mesenteric Lymphadenitis",
      "Ovarian Torsion",
      "Ectopic Pregnancy",
      "Pelvic Inflammatory Disease",
    ],
  },
  {
    style: "R1 distill: numbered headings with nested bullets",
    answer:
      "Here is my differential:\n\n### 1. **Pulmonary Embolism**\n- **Key features**: sudden dyspnea, pleuritic pain, tachycardia after a long flight.\n- **Next step**: CT pulmonary angiography.\n\n### 2. **Pneumothorax**\n- Sudden onset, but breath sounds are equal.\n\n### 3. **Acute Coronary Syndrome**\n- Risk factors present.",
    expected: ["Pulmonary Embolism", "Pneumothorax", "Acute Coronary Syndrome"],
  },
  {
    style: "numbered with parentheses and a colon explanation",
    answer:
      "1) Acute cholecystitis: RUQ pain, Murphy sign\n2) Biliary colic: intermittent\n3) Acute hepatitis: raised transaminases",
    expected: ["Acute cholecystitis", "Biliary colic", "Acute hepatitis"],
  },
  {
    style: "numbers in parentheses",
    answer: "(1) Bacterial meningitis\n(2) Viral encephalitis\n(3) Subarachnoid hemorrhage",
    expected: ["Bacterial meningitis", "Viral encephalitis", "Subarachnoid hemorrhage"],
  },
  {
    style: "Llama 3: preamble, bullets with bold, trailing disclaimer",
    answer:
      "Based on the symptoms described, the following are the most likely preliminary diagnoses:\n\n* **Bronchiolitis**: common in infants under 12 months during winter\n* **Pneumonia**: fever and crackles\n* **Asthma exacerbation**\n\nPlease note that a definitive diagnosis requires a clinical examination by a healthcare professional.",
    expected: ["Bronchiolitis", "Pneumonia", "Asthma exacerbation"],
  },
  {
    style: "dash bullets with parenthetical likelihoods",
    answer:
      "- Ectopic pregnancy (most likely)\n- Threatened miscarriage (possible)\n- Corpus luteum cyst rupture (less likely)",
    expected: ["Ectopic pregnancy", "Threatened miscarriage", "Corpus luteum cyst rupture"],
  },
  {
    style: "round bullets",
    answer: "Differential:\n• Hypothyroidism\n• Major depressive disorder\n• Anemia",
    expected: ["Hypothyroidism", "Major depressive disorder", "Anemia"],
  },
  {
    style: "most likely / less likely sections with bullets, then a work-up section",
    answer:
      "**Most likely:**\n- Ischemic stroke\n\n**Other considerations:**\n- Intracerebral hemorrhage\n- Todd paralysis\n\n**Less likely but must not miss:**\n- Hypoglycemia\n\n**Recommended work-up:**\n- Non-contrast CT head\n- Capillary glucose",
    expected: ["Ischemic stroke", "Intracerebral hemorrhage", "Todd paralysis", "Hypoglycemia"],
  },
  {
    style: "label inside the numbered item",
    answer:
      "1. Most likely: Testicular torsion\n2. Alternative: Epididymo-orchitis\n3. Less likely - Incarcerated inguinal hernia",
    expected: ["Testicular torsion", "Epididymo-orchitis", "Incarcerated inguinal hernia"],
  },
  {
    style: "findings list before the diagnosis heading",
    answer:
      "Key findings:\n1. 68-year-old smoker\n2. Painless jaundice\n3. Weight loss\n\nDifferential diagnosis:\n1. Pancreatic adenocarcinoma\n2. Cholangiocarcinoma\n3. Choledocholithiasis",
    expected: ["Pancreatic adenocarcinoma", "Cholangiocarcinoma", "Choledocholithiasis"],
  },
  {
    style: "numbered list restarted for next steps",
    answer:
      "1. Acute pyelonephritis\n2. Renal colic\n3. Lower lobe pneumonia\n\n1. Urine culture\n2. Ultrasound",
    expected: ["Acute pyelonephritis", "Renal colic", "Lower lobe pneumonia"],
  },
  {
    style: "more items than k",
    answer:
      "1. Migraine\n2. Tension-type headache\n3. Cluster headache\n4. Idiopathic intracranial hypertension\n5. Medication overuse headache\n6. Giant cell arteritis\n7. Brain tumour",
    expected: [
      "Migraine",
      "Tension-type headache",
      "Cluster headache",
      "Idiopathic intracranial hypertension",
      "Medication overuse headache",
    ],
  },
  {
    style: "a repeated diagnosis uses up its slot",
    answer: "1. Sepsis\n2. Urosepsis\n3. SEPSIS\n4. Pneumonia\n5. Meningitis\n6. Endocarditis",
    expected: ["Sepsis", "Urosepsis", "Pneumonia", "Meningitis"],
  },
  {
    style: "markdown table",
    answer:
      "| Rank | Diagnosis | Supporting features |\n|------|-----------|---------------------|\n| 1 | Hyperemesis gravidarum | persistent vomiting, ketonuria |\n| 2 | Molar pregnancy | uterus large for dates |\n| 3 | Thyrotoxicosis | low TSH |",
    expected: ["Hyperemesis gravidarum", "Molar pregnancy", "Thyrotoxicosis"],
  },
  // Single lines and sentences
  {
    style: "one comma-separated line",
    answer:
      "Acute appendicitis, mesenteric lymphadenitis, ovarian torsion, ectopic pregnancy, pelvic inflammatory disease",
    expected: [
      "Acute appendicitis",
      "mesenteric lymphadenitis",
      "ovarian torsion",
      "ectopic pregnancy",
      "pelvic inflammatory disease",
    ],
  },
  {
    style: "semicolons, with commas inside a name",
    answer: "Diabetes mellitus, type 1; Diabetes insipidus; Hypercalcemia",
    expected: ["Diabetes mellitus, type 1", "Diabetes insipidus", "Hypercalcemia"],
  },
  {
    style: "inverted name among commas stays whole",
    answer: "Appendicitis, acute, Ovarian cyst rupture, Urinary tract infection",
    expected: ["Appendicitis, acute", "Ovarian cyst rupture", "Urinary tract infection"],
  },
  {
    style: "inline numbering on one line",
    answer: "1) Pyloric stenosis 2) Gastroesophageal reflux 3) Malrotation with volvulus",
    expected: ["Pyloric stenosis", "Gastroesophageal reflux", "Malrotation with volvulus"],
  },
  {
    style: "differential diagnosis label with a comma list",
    answer: "Differential diagnosis: Preeclampsia, HELLP syndrome, acute fatty liver of pregnancy.",
    expected: ["Preeclampsia", "HELLP syndrome", "acute fatty liver of pregnancy"],
  },
  {
    style: "most likely and other possibilities on labelled lines",
    answer:
      "Most likely: Croup\nOther possibilities: Bacterial tracheitis, epiglottitis, foreign body aspiration",
    expected: ["Croup", "Bacterial tracheitis", "epiglottitis", "foreign body aspiration"],
  },
  {
    style: "one diagnosis per line without markers",
    answer: "Cauda equina syndrome\nLumbar disc herniation\nSpinal epidural abscess",
    expected: ["Cauda equina syndrome", "Lumbar disc herniation", "Spinal epidural abscess"],
  },
  {
    style: "single plain diagnosis",
    answer: "Acute angle-closure glaucoma.",
    expected: ["Acute angle-closure glaucoma"],
  },
  {
    style: "prose sentences",
    answer:
      "The most likely diagnosis is acute pericarditis. Other possibilities include myocardial infarction and aortic dissection.",
    expected: ["acute pericarditis", "myocardial infarction", "aortic dissection"],
  },
  {
    style: "small model: prose with 'likely has'",
    answer: "The patient likely has iron deficiency anemia.",
    expected: ["iron deficiency anemia"],
  },
  // Final answers
  {
    style: "R1 distill: final answer section naming the same diagnoses as the longer list",
    answer:
      "**Differential Diagnosis:**\n1. **Diabetic ketoacidosis** – Kussmaul breathing.\n2. **Gastroenteritis**\n3. **Sepsis**\n\n**Final Answer:**\nDiabetic ketoacidosis",
    expected: ["Diabetic ketoacidosis", "Gastroenteritis", "Sepsis"],
  },
  {
    style: "final answer that changes the list decides",
    answer:
      "Initial thoughts:\n1. Migraine\n2. Tension headache\n\nFinal answer: Subarachnoid hemorrhage, migraine, cervical artery dissection",
    expected: ["Subarachnoid hemorrhage", "migraine", "cervical artery dissection"],
  },
  {
    style: "R1 distill: boxed answer",
    answer: "Considering the triad of fever, rash and conjunctivitis:\n\n\\boxed{\\text{Kawasaki disease}}",
    expected: ["Kawasaki disease"],
  },
  {
    style: "markdown heading 'Final Answer' with a numbered list",
    answer:
      "The presentation suggests a surgical abdomen.\n\n## Final Answer\n1. Perforated peptic ulcer\n2. Acute pancreatitis\n3. Mesenteric ischemia",
    expected: ["Perforated peptic ulcer", "Acute pancreatitis", "Mesenteric ischemia"],
  },
  // Quirks
  {
    style: "Qwen switching language, English in parentheses, full-width punctuation",
    answer:
      "１．急性阑尾炎（Acute appendicitis）\n２．肠系膜淋巴结炎（Mesenteric lymphadenitis）\n３．卵巢扭转（Ovarian torsion）",
    expected: ["Acute appendicitis", "Mesenteric lymphadenitis", "Ovarian torsion"],
  },
  {
    style: "German headings from a multilingual model",
    answer: "**Differentialdiagnosen:**\n1. Lungenembolie\n2. Pneumonie\n3. Herzinsuffizienz",
    expected: ["Lungenembolie", "Pneumonie", "Herzinsuffizienz"],
  },
  {
    style: "Spanish heading with accents",
    answer: "Diagnósticos diferenciales:\n- Apendicitis aguda\n- Torsión ovárica",
    expected: ["Apendicitis aguda", "Torsión ovárica"],
  },
  {
    style: "abbreviation kept in parentheses, hedges removed",
    answer:
      "1. Possible pulmonary embolism (PE)\n2. Suspected community-acquired pneumonia\n3. r/o acute coronary syndrome (ACS)",
    expected: ["pulmonary embolism (PE)", "community-acquired pneumonia", "acute coronary syndrome (ACS)"],
  },
  {
    style: "another name kept in parentheses, explanations in parentheses removed",
    k: 6,
    answer: [
      "1. Systemic sclerosis (scleroderma)",
      "2. Lupus (systemic lupus erythematosus, SLE)",
      "3. Pneumonia (fever, cough and crackles)",
      "4. Pulmonary embolism (risk factors: recent surgery)",
      "5. Urea cycle disorder (other than OTC deficiency)",
      "6. Trisomy 18 (also known as Edwards syndrome)",
    ].join("\n"),
    expected: [
      "Systemic sclerosis (scleroderma)",
      "Lupus (systemic lupus erythematosus, SLE)",
      "Pneumonia",
      "Pulmonary embolism",
      "Urea cycle disorder",
      "Trisomy 18 (also known as Edwards syndrome)",
    ],
  },
  {
    style: "question marks and percentages",
    answer: "1. Appendicitis? 70%\n2. Meckel diverticulitis? 15%\n3. Intussusception 10%",
    expected: ["Appendicitis", "Meckel diverticulitis", "Intussusception"],
  },
  {
    style: "explanation after a comma",
    answer:
      "- Hypothyroidism, given fatigue, weight gain and cold intolerance\n- Depression, which can present similarly",
    expected: ["Hypothyroidism", "Depression"],
  },
  {
    style: "fewer than k entries",
    answer: '{"diagnoses": ["Pneumothorax"]}',
    expected: ["Pneumothorax"],
  },
  {
    style: "k of 1 keeps the first entry",
    k: 1,
    answer: "1. Hirschsprung disease\n2. Meconium ileus",
    expected: ["Hirschsprung disease"],
  },
  {
    style: "bold names on their own lines, explanations below",
    answer:
      "**Hand, foot and mouth disease**\nVesicles on palms and soles with oral ulcers are typical.\n\n**Herpangina**\nPosterior pharyngeal vesicles only.\n\n**Varicella**\nCentripetal rash in crops.",
    expected: ["Hand, foot and mouth disease", "Herpangina", "Varicella"],
  },
  {
    style: "bold name followed by a colon and explanation, no markers",
    answer:
      "Differential diagnoses:\n**Placental abruption**: painful bleeding with a tender, hard uterus\n**Uterine rupture**: previous caesarean section\n**Placenta praevia**: usually painless",
    expected: ["Placental abruption", "Uterine rupture", "Placenta praevia"],
  },
  {
    style: "repeated Diagnosis / Reasoning blocks",
    answer:
      "Diagnosis 1: Acute cholangitis\nReasoning: fever, jaundice and right upper quadrant pain.\n\nDiagnosis 2: Acute cholecystitis\nReasoning: Murphy sign.\n\nDiagnosis 3: Liver abscess\nReasoning: less likely.",
    expected: ["Acute cholangitis", "Acute cholecystitis", "Liver abscess"],
  },
  {
    style: "subject-first prose with 'followed by'",
    answer:
      "Acute appendicitis is the most likely diagnosis, followed by mesenteric adenitis and Meckel diverticulitis.",
    expected: ["Acute appendicitis", "mesenteric adenitis", "Meckel diverticulitis"],
  },
  {
    style: "HTML ordered list",
    answer: "<ol><li>Nephrotic syndrome</li><li>Acute post-streptococcal glomerulonephritis</li></ol>",
    expected: ["Nephrotic syndrome", "Acute post-streptococcal glomerulonephritis"],
  },
  {
    style: "answer tags around a numbered list",
    answer: "<answer>\n1. Myasthenia gravis\n2. Lambert-Eaton myasthenic syndrome\n</answer>",
    expected: ["Myasthenia gravis", "Lambert-Eaton myasthenic syndrome"],
  },
  {
    style: "heading with inline numbering",
    answer:
      "Top 3 diagnoses: 1. Hypokalemic periodic paralysis, 2. Guillain-Barré syndrome, 3. Myasthenic crisis",
    expected: ["Hypokalemic periodic paralysis", "Guillain-Barré syndrome", "Myasthenic crisis"],
  },
  {
    style: "ICD codes in brackets",
    answer: "1. Acute appendicitis [K35.80]\n2. Right ureteric colic [N23]",
    expected: ["Acute appendicitis", "Right ureteric colic"],
  },
  {
    style: "small model: YAML-like list without quotes",
    answer: "diagnoses: [Acute appendicitis, Ovarian torsion, Ectopic pregnancy]",
    expected: ["Acute appendicitis", "Ovarian torsion", "Ectopic pregnancy"],
  },
  {
    style: "small model: YAML list under a key",
    answer: "diagnoses:\n  - Acute otitis media\n  - Otitis externa",
    expected: ["Acute otitis media", "Otitis externa"],
  },
  {
    style: "not enough information",
    answer: "Not enough information to make a diagnosis.",
    expected: [],
  },
  // Nothing to extract
  { style: "empty string", answer: "", expected: [] },
  { style: "whitespace only", answer: "   \n\n  ", expected: [] },
  {
    style: "refusal",
    answer:
      "I'm sorry, but I can't provide medical diagnoses. Please consult a qualified healthcare professional who can examine the patient.",
    expected: [],
  },
  {
    style: "refusal as an assistant disclaimer",
    answer: "As an AI language model, I am not able to diagnose patients. You should seek medical advice.",
    expected: [],
  },
  {
    style: "JSON with an empty list",
    answer: '{"diagnoses": []}',
    expected: [],
  },
];

describe("extractDiagnoses", () => {
  it("has a table of at least 40 outputs", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)("$style", ({ answer, k, expected }) => {
    expect(extractDiagnoses(answer, k ?? 5)).toEqual(expected);
  });
});

describe("cleanItem", () => {
  it.each([
    ["**Acute appendicitis** – migration of pain", "Acute appendicitis"],
    ["**Most likely:** Ectopic pregnancy", "Ectopic pregnancy"],
    ["Acute appendicitis (given RLQ pain, fever)", "Acute appendicitis"],
    ["Subarachnoid hemorrhage (SAH)", "Subarachnoid hemorrhage (SAH)"],
    ["Guillain-Barré syndrome", "Guillain-Barré syndrome"],
    ["Non-ST-elevation myocardial infarction", "Non-ST-elevation myocardial infarction"],
    ["Diagnosis 2: Hypothyroidism", "Hypothyroidism"],
    ["an ectopic pregnancy.", "ectopic pregnancy"],
    ["Pneumonia (unclosed explanation", "Pneumonia"],
  ])("%j → %j", (raw, expected) => {
    expect(cleanItem(raw)).toEqual(expected);
  });
});
