import { describe, expect, it } from "vitest";
import { makeStudy } from "../../test/support/runner-fakes.ts";
import { modelConcurrency, modelLanes } from "./model-lanes.ts";

function lanes(study: ReturnType<typeof makeStudy>): string[][] {
  return modelLanes(study.models, study.parallel).map((lane) => lane.map((spec) => spec.id));
}

describe("modelLanes", () => {
  it("puts models on different servers in lanes of their own and models sharing a server in one", () => {
    const study = makeStudy([
      { id: "a", provider: "openai", model: "m", baseUrl: "http://gpu-1:8000/v1" },
      { id: "b", provider: "ollama", model: "m", baseUrl: "http://gpu-2:11434" },
      { id: "c", provider: "openai", model: "n", baseUrl: "http://gpu-1:8000/v1" },
      { id: "d", provider: "llama-cpp", model: "/models/x.gguf" },
      { id: "e", provider: "llama-cpp", model: "/models/y.gguf" },
      { id: "f", provider: "openai", model: "m" },
    ]);
    expect(lanes(study)).toEqual([["a", "c"], ["b"], ["d", "e"], ["f"]]);
  });

  it("joins the lanes of servers that a model with several endpoints spans, in study order", () => {
    const study = makeStudy([
      { id: "a", provider: "openai", model: "m", baseUrl: "http://gpu-1:8000/v1" },
      { id: "b", provider: "openai", model: "m", baseUrl: "http://gpu-2:8000/v1" },
      {
        id: "c",
        provider: "openai",
        model: "m",
        endpoints: [{ baseUrl: "http://gpu-2:8000/v1" }, { baseUrl: "http://gpu-1:8000/v1" }],
      },
      { id: "d", provider: "openai", model: "m", baseUrl: "http://gpu-3:8000/v1" },
    ]);
    expect(lanes(study)).toEqual([["a", "b", "c"], ["d"]]);
  });

  it("keeps every model in one lane with parallel: false", () => {
    const study = makeStudy(
      [
        { id: "a", provider: "openai", model: "m", baseUrl: "http://gpu-1:8000/v1" },
        { id: "b", provider: "openai", model: "m", baseUrl: "http://gpu-2:8000/v1" },
      ],
      { parallel: false },
    );
    expect(lanes(study)).toEqual([["a", "b"]]);
  });
});

describe("modelConcurrency", () => {
  it("is the sum of the endpoints' concurrency, or the model's own", () => {
    const [replicated, single] = makeStudy([
      {
        id: "a",
        provider: "openai",
        model: "m",
        endpoints: [{ baseUrl: "http://gpu-1:8000/v1", concurrency: 8 }, { baseUrl: "http://gpu-2:8000/v1" }],
      },
      { id: "b", provider: "openai", model: "m", concurrency: 4 },
    ]).models;
    expect([modelConcurrency(replicated), modelConcurrency(single)]).toEqual([9, 4]);
  });
});
