import { describe, expect, it } from "vitest";
import { redactCredentials } from "./redact-credentials.ts";

describe("redactCredentials", () => {
  it("replaces the password of every URL, at any depth, and keeps everything else", () => {
    expect(
      redactCredentials({
        name: "study",
        models: [
          { baseUrl: "http://alice:s3cr%40t@gpu-01:8000/v1", concurrency: 4 },
          { baseUrl: "https://bob:pw@host/v1?x=1", endpoints: ["http://carol:pw@a", "http://b:8000"] },
          { baseUrl: "http://user@host/v1", note: "a:b@c is no URL", seed: null, think: true },
        ],
      }),
    ).toEqual({
      name: "study",
      models: [
        { baseUrl: "http://alice:***@gpu-01:8000/v1", concurrency: 4 },
        { baseUrl: "https://bob:***@host/v1?x=1", endpoints: ["http://carol:***@a", "http://b:8000"] },
        { baseUrl: "http://user@host/v1", note: "a:b@c is no URL", seed: null, think: true },
      ],
    });
  });
});
