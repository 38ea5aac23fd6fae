import { describe, expect, it } from "vitest";
import { strataOf, subgroupValue } from "./subgroups.ts";

describe("strataOf", () => {
  it("groups cases by value in order of first appearance, with a (missing) stratum", () => {
    const cases = [
      { id: "a", incidence: "rare" },
      { id: "b" },
      { id: "c", incidence: "frequent" },
      { id: "d", incidence: "rare" },
      { id: "e", incidence: " " },
      { id: "f", incidence: null },
    ];
    expect(strataOf(cases, "incidence")).toEqual([
      { value: "rare", caseIds: ["a", "d"] },
      { value: "(missing)", caseIds: ["b", "e", "f"] },
      { value: "frequent", caseIds: ["c"] },
    ]);
  });

  it("turns numbers, booleans and lists into text", () => {
    expect(
      [{ age: 7 }, { age: true }, { age: ["x", "y"] }, { age: "" }].map((fields) =>
        subgroupValue({ id: "c", ...fields }, "age"),
      ),
    ).toEqual(["7", "true", '["x","y"]', null]);
  });
});
