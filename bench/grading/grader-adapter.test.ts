import { describe, expect, it } from "vitest";
import { gradeWithProject } from "./grader-adapter.ts";

describe("gradeWithProject", () => {
  it("reports strict and lenient decisions of the project's grader for a list of answers", () => {
    const reference = { diagnosis: "Acute pancreatitis", accept: [] };
    expect(gradeWithProject(["Cholecystitis", "Acute Pancreatitis"], reference)).toEqual({
      strict: true,
      lenient: true,
    });
    expect(gradeWithProject(["Pancreatitis"], reference)).toEqual({ strict: false, lenient: true });
    expect(gradeWithProject(["Cholecystitis"], reference)).toEqual({ strict: false, lenient: false });
  });
});
