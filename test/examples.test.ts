import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadStudy } from "../src/study/load-study.ts";
import { builtinSuitePath } from "../src/suites/builtin-suites.ts";

const folder = join(import.meta.dirname, "..", "examples");
const studies = readdirSync(folder).filter((file) => file.endsWith(".yaml"));

describe("example studies", () => {
  it("are there", () => {
    expect(studies.length).toBeGreaterThanOrEqual(5);
  });

  it.each(studies)("%s is a valid study on a built-in suite", async (file) => {
    const study = await loadStudy(join(folder, file));
    expect(study.suite.id).toBeDefined();
    expect(() => builtinSuitePath(study.suite.id as string)).not.toThrow();
  });
});
