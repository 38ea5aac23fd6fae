import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";

describe("canonicalJson", () => {
  it("sorts the keys of nested objects and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("gives the same text whatever order the keys were written in", () => {
    expect(canonicalJson({ model: "m", params: { topP: 0.9, temperature: 0 } })).toBe(
      canonicalJson({ params: { temperature: 0, topP: 0.9 }, model: "m" }),
    );
  });

  it("drops undefined members as JSON does and keeps null", () => {
    expect(canonicalJson({ a: undefined, b: null, c: [undefined] })).toBe('{"b":null,"c":[null]}');
  });

  it("writes strings, numbers and special values exactly as JSON.stringify does", () => {
    const value = {
      text: 'quote " backslash \\ newline \n é \u2028',
      numbers: [0, -1.5, 1e21, Number.NaN],
      flag: false,
    };
    expect(canonicalJson(value)).toBe(
      JSON.stringify({ flag: false, numbers: value.numbers, text: value.text }),
    );
    expect(canonicalJson(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
    expect(canonicalJson(undefined)).toBe("null");
  });
});
