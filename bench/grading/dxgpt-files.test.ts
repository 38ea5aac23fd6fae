import { describe, expect, it } from "vitest";
import { extractListedDiagnoses, parseJudgeScore, parseReferenceNames } from "./dxgpt-files.ts";

describe("extractListedDiagnoses", () => {
  it("reads plus-marked entries on their own lines, up to the first colon", () => {
    const answer =
      "Based on the symptoms provided, here are some potential diseases:\n\n" +
      "+1. Methylmalonic Acidemia (MMA):\n   - Symptoms in common: 'Metabolic acidosis'\n\n" +
      "+2. **Propionic Acidemia**: a disorder of propionate metabolism\n\n" +
      "+3 Isovaleric Acidemia:\nCommon Symptoms: vomiting\n" +
      "'+4' Wilson's Disease:\n" +
      "'+5 Polycystic Ovary Syndrome (PCOS)': \n";
    expect(extractListedDiagnoses(answer)).toEqual([
      "Methylmalonic Acidemia (MMA)",
      "Propionic Acidemia",
      "Isovaleric Acidemia",
      "Wilson's Disease",
      "Polycystic Ovary Syndrome (PCOS)",
    ]);
  });

  it("reads several entries on one line, written-out line breaks, and a plus after the number", () => {
    expect(
      extractListedDiagnoses(
        " +1. Uveitis: inflammation of the uvea. +2. Multiple Sclerosis: optic neuritis",
      ),
    ).toEqual(["Uveitis", "Multiple Sclerosis"]);
    expect(
      extractListedDiagnoses("Sure!\\n\\n+1. Down Syndrome: trisomy.\\n\\n+2. Turner Syndrome: 45,X"),
    ).toEqual(["Down Syndrome", "Turner Syndrome"]);
    expect(
      extractListedDiagnoses(
        "**Potential:**\n\n1. \\n\\n+Dilated Cardiomyopathy (DCM): dyspnea\n\n2. +Myocarditis: fever",
      ),
    ).toEqual(["Dilated Cardiomyopathy (DCM)", "Myocarditis"]);
  });

  it("keeps entries whose numbers repeat, since some models number every entry +1", () => {
    expect(
      extractListedDiagnoses("+1. Dentin Hypersensitivity: pain. +1. Fluorosis: spots. +1. Bruxism: wear"),
    ).toEqual(["Dentin Hypersensitivity", "Fluorosis", "Bruxism"]);
  });

  it("reads the diagnosis fields of a JSON answer, even one cut off by the token limit", () => {
    const answer =
      '```xml\n<5_diagnosis_output>\n[\n {"diagnosis": "Maple Syrup Urine Disease (MSUD)", "description": "x"},\n' +
      ' {"diagnosis": "Propionic \\"acidemia\\"", "description": "cut off';
    expect(extractListedDiagnoses(answer)).toEqual([
      "Maple Syrup Urine Disease (MSUD)",
      'Propionic "acidemia',
    ]);
  });

  it("falls back to a plain numbered list whose numbers run in order", () => {
    const answer =
      "**Potential Diseases:**\n\n1. Hepatic Copper Toxicity: liver damage\n+ Symptoms in common: hepatomegaly\n" +
      "   1. a sub-point\n2. Wilson Disease - copper accumulation\n3. Autoimmune Hepatitis. Raised IgG\n";
    expect(extractListedDiagnoses(answer)).toEqual([
      "Hepatic Copper Toxicity",
      "Wilson Disease",
      "Autoimmune Hepatitis",
    ]);
  });

  it("finds nothing in a refusal, an error or a bare marker", () => {
    expect(extractListedDiagnoses("I'm sorry, but I can't assist with that request.")).toEqual([]);
    expect(extractListedDiagnoses("ERROR")).toEqual([]);
    expect(extractListedDiagnoses(" +1")).toEqual([]);
  });
});

describe("parseReferenceNames", () => {
  it("reads Python list literals and plain names", () => {
    expect(parseReferenceNames("['Phenylketonuria']")).toEqual(["Phenylketonuria"]);
    expect(
      parseReferenceNames(`["Methylmalonic acidemia with homocystinuria, type cblC", 'Crohn\\'s disease']`),
    ).toEqual(["Methylmalonic acidemia with homocystinuria, type cblC", "Crohn's disease"]);
    expect(parseReferenceNames("Renal agenesis, unilateral ")).toEqual(["Renal agenesis, unilateral"]);
    expect(parseReferenceNames("[]")).toEqual([]);
  });
});

describe("parseJudgeScore", () => {
  it("accepts P0–P5, with or without stray quotes, and nothing else", () => {
    expect(["P1", '"P0"', ' """P5""" ', "P6", "yes"].map(parseJudgeScore)).toEqual([
      "P1",
      "P0",
      "P5",
      null,
      null,
    ]);
  });
});
