import { afterEach, describe, expect, it } from "vitest";
import { resolveApiKey, unsetApiKeyVariable } from "./api-key.ts";

describe("resolveApiKey", () => {
  afterEach(() => {
    delete process.env.CLINVAL_TEST_KEY;
  });

  it("reads the named variable, or gives undefined when none is named", () => {
    process.env.CLINVAL_TEST_KEY = "  sk-test  ";
    expect(resolveApiKey({ apiKeyEnv: "CLINVAL_TEST_KEY" })).toBe("sk-test");
    expect(unsetApiKeyVariable({ apiKeyEnv: "CLINVAL_TEST_KEY" })).toBeUndefined();
    expect(resolveApiKey({})).toBeUndefined();
    expect(unsetApiKeyVariable({})).toBeUndefined();
  });

  it("gives no key for an unset or empty variable, and names that variable for a warning", () => {
    process.env.CLINVAL_TEST_KEY = " ";
    expect(resolveApiKey({ apiKeyEnv: "CLINVAL_TEST_KEY" })).toBeUndefined();
    expect(unsetApiKeyVariable({ apiKeyEnv: "CLINVAL_TEST_KEY" })).toBe("CLINVAL_TEST_KEY");
    expect(resolveApiKey({ apiKeyEnv: "CLINVAL_MISSING_KEY" })).toBeUndefined();
    expect(unsetApiKeyVariable({ apiKeyEnv: "CLINVAL_MISSING_KEY" })).toBe("CLINVAL_MISSING_KEY");
  });
});
