import { describe, expect, it } from "vitest";
import { gradeWithProject } from "./grader-adapter.ts";

describe("gradeWithProject", () => {
  it("reports strict and lenient decisions of the project's grader for a list of answers", () => {
    const reference = { diagnosis: "Acute pancreatitis", accept: [] };
    expect(gradeWithProject(["Cholecystitis", "Acute Pancreatitis"], reference)).toEqual({
      strict: true,
      lenient: true,
      broader: false,
    });
    expect(gradeWithProject(["Pancreatitis"], reference)).toEqual({
      strict: false,
      lenient: true,
      broader: true,
    });
    expect(gradeWithProject(["Cholecystitis"], reference)).toEqual({
      strict: false,
      lenient: false,
      broader: false,
    });
    expect(gradeWithProject(["Pancreatitis", "Acute pancreatitis"], reference)).toEqual({
      strict: true,
      lenient: true,
      broader: false,
    });
  });
});
