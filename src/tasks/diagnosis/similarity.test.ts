import { describe, expect, it } from "vitest";
import { compareTokens, contentTokens, FUZZY_THRESHOLD } from "./similarity.ts";

describe("contentTokens", () => {
  it("drops stop words and lightly stems plurals", () => {
    expect(contentTokens("Fracture of the neck of the femur")).toEqual(["fracture", "neck", "femur"]);
    expect(contentTokens("Kidney stones")).toEqual(["kidney", "stone"]);
    expect(contentTokens("Cardiomyopathies")).toEqual(["cardiomyopathy"]);
    expect(contentTokens("Stenosis")).toEqual(["stenosis"]);
  });
});

describe("compareTokens", () => {
  it("uses a threshold of 0.8", () => {
    expect(FUZZY_THRESHOLD).toEqual(0.8);
  });

  it.each([
    // similar: Dice at or above the threshold
    ["Neck of femur fracture", "Fracture of the neck of the femur", { similarity: 1, relation: "similar" }],
    ["Acute heart failure", "Acute decompensated heart failure", { similarity: 6 / 7, relation: "similar" }],
    ["Acute cholecystitis with empyema", "Acute cholecystitis", { similarity: 0.8, relation: "similar" }],
    // the reference plus a few qualifying words
    ["Migraine with aura", "Migraine", { similarity: 2 / 3, relation: "narrower" }],
    ["Sepsis secondary to urinary tract infection", "Sepsis", { similarity: 2 / 6, relation: null }],
    // the reference without its qualifying words or generic head
    ["Pancreatitis", "Acute pancreatitis", { similarity: 2 / 3, relation: "broader-by-qualifier" }],
    ["Kawasaki", "Kawasaki disease", { similarity: 2 / 3, relation: "broader-by-qualifier" }],
    ["Acute", "Acute pancreatitis", { similarity: 2 / 3, relation: null }],
    // missing words that name something else are no relation
    ["Leukemia", "Acute myeloid leukemia", { similarity: 0.5, relation: null }],
    ["Acute myeloid leukemia", "Acute lymphoblastic leukemia", { similarity: 2 / 3, relation: null }],
    // a negating prefix on one side rules out any relation
    ["Non-Hodgkin lymphoma", "Hodgkin lymphoma", { similarity: 0.5, relation: null }],
    [
      "Non-ST segment elevation myocardial infarction",
      "ST segment elevation myocardial infarction",
      { similarity: 0.8, relation: null },
    ],
    ["Pseudo-obstruction", "Obstruction", { similarity: 0, relation: null }],
    ["", "Migraine", { similarity: 0, relation: null }],
  ])("%j vs %j", (answer, reference, expected) => {
    expect(compareTokens(answer, reference)).toEqual(expected);
  });
});
