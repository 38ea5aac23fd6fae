/**
 * The egress guard end to end: during `clinval run`, code in the process (here the in-process fake
 * server's handler, standing in for a dependency) tries to phone home; the run stops with an error
 * naming the host, and writes no report.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type OpenAICompatibleServer,
  startOpenAICompatibleServer,
} from "./support/openai-compatible-server.ts";
import { runCli } from "./support/run-cli.ts";

let folder: string;
let server: OpenAICompatibleServer;
let phoneHomeAfter = Number.POSITIVE_INFINITY;
let phoneHome: Promise<unknown> | undefined;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "clinval-egress-"));
  server = await startOpenAICompatibleServer({
    reply: () => {
      phoneHomeAfter--;
      if (phoneHomeAfter === 0) {
        phoneHome = fetch("https://telemetry.example.com/collect", { method: "POST", body: "usage" }).catch(
          (error: Error) => error,
        );
      }
      return { content: '{"diagnoses": ["Acute appendicitis"]}' };
    },
  });
  const cases = Array.from({ length: 12 }, (_, index) =>
    JSON.stringify({
      id: `dx-${index}`,
      presentation: `Case ${index}: right lower quadrant pain, fever and guarding.`,
      diagnosis: "Acute appendicitis",
    }),
  );
  await writeFile(join(folder, "cases.jsonl"), `${cases.join("\n")}\n`);
  await writeFile(
    join(folder, "study.yaml"),
    `name: egress\ntask: diagnosis\nsuite: { path: ./cases.jsonl }\nmodels:\n` +
      `  - { id: local, provider: openai, model: m, baseUrl: "${server.url}", retries: 0 }\noutput: ./reports\n`,
  );
});

afterAll(async () => {
  await server.close();
  await rm(folder, { recursive: true, force: true });
});

describe("clinval run with the egress guard", () => {
  it("stops a run in which something tries to reach a host the study does not name", async () => {
    phoneHomeAfter = 3;
    const result = await runCli(["run", join(folder, "study.yaml"), "--store", join(folder, "clinval.db")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "clinval: something in this process tried to connect to telemetry.example.com, a host the study does not " +
        "name; the run was stopped. Nothing was sent. If that host is meant to be reached, pass --allow-host telemetry.example.com\n",
    );
    expect(((await phoneHome) as Error & { cause?: Error }).cause?.message).toContain(
      "telemetry.example.com",
    );
    expect(existsSync(join(folder, "reports", "report.json"))).toBe(false);
    // The run stopped before every case was asked.
    expect(server.requests.length).toBeLessThan(12);
  });

  it("runs to the end when nothing leaves for another host", async () => {
    phoneHomeAfter = Number.POSITIVE_INFINITY;
    const result = await runCli([
      "run",
      join(folder, "study.yaml"),
      "--store",
      join(folder, "clinval.db"),
      "--allow-host",
      "models.hospital.example",
    ]);
    expect(result.stderr).not.toContain("a host the study does not name");
    expect(result.code).toBe(0);
    expect(existsSync(join(folder, "reports", "report.json"))).toBe(true);
  });
});
