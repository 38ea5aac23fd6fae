import { describe, expect, it } from "vitest";
import { duplicateJsonKey } from "./duplicate-json-key.ts";

describe("duplicateJsonKey", () => {
  it("finds a key given twice in one object, at any depth, however it is escaped", () => {
    expect(duplicateJsonKey('{"id": "a", "diagnosis": "x", "id": "b"}')).toBe("id");
    expect(duplicateJsonKey('{"meta": {"source": 1, "source": 2}}')).toBe("source");
    expect(duplicateJsonKey('{"a": [{"b": 1}, {"c": 2, "c": 3}]}')).toBe("c");
    expect(duplicateJsonKey('{"label": 1, "\\u006cabel": 2}')).toBe("label");
  });

  it("lets the same key stand in different objects, and strings that look like keys", () => {
    expect(duplicateJsonKey('{"a": {"id": 1}, "b": {"id": 2}, "id": 3}')).toBeUndefined();
    expect(duplicateJsonKey('{"text": "\\"id\\": 1, \\"id\\": 2", "list": ["id", "id"]}')).toBeUndefined();
    expect(duplicateJsonKey('{"a": "}", "b": "{", "c": ",", "a\\\\": 1}')).toBeUndefined();
    expect(duplicateJsonKey("[1, 2, 3]")).toBeUndefined();
  });

  it("reads a long line in one pass", () => {
    const line = `{${Array.from({ length: 50_000 }, (_, index) => `"k${index}": ${index}`).join(", ")}, "k7": 0}`;
    expect(duplicateJsonKey(line)).toBe("k7");
  });
});
