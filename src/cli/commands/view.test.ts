import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { seedRuns } from "../../server/workbench.test-support.ts";
import { openStore } from "../../store/store.ts";

const folder = mkdtempSync(join(tmpdir(), "clinval-view-"));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(folder, { recursive: true, force: true });
});

/** Starts `clinval view` in a child process and waits for the lines it prints before serving. */
function startView(args: string[]): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, "../../../bin/clinval.js"), "view", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += String(chunk);
      if (output.includes("Press Ctrl+C to stop.")) resolve({ child, output });
    });
    child.stderr?.on("data", (chunk) => {
      output += String(chunk);
    });
    child.once("exit", (code) => reject(new Error(`clinval view exited with ${code}: ${output}`)));
  });
}

describe("clinval view", () => {
  it("serves the store on another host only with the token it prints, and stops on SIGTERM", async () => {
    const storePath = join(folder, "clinval.db");
    const store = await openStore(storePath);
    await seedRuns(store, join(folder, "reports"));
    await store.close();
    const { child, output } = await startView(["--host", "0.0.0.0", "--port", "0", "--store", storePath]);
    const url = /http:\/\/\S+/.exec(output)?.[0] ?? "";
    const token = /needs the token (\S+)/.exec(output)?.[1] ?? "";
    expect(url).toMatch(new RegExp(`^http://0\\.0\\.0\\.0:\\d+/\\?token=${token}$`));
    const base = url.replace("0.0.0.0", "127.0.0.1").replace(/\?token=.*$/, "");
    const refused = await fetch(`${base}runs/run-1/cases`);
    expect([refused.status, (await refused.text()).includes("run-1")]).toEqual([401, false]);
    const served = await fetch(`${base}runs/run-1/cases`, { headers: { Authorization: `Bearer ${token}` } });
    expect(served.status).toBe(200);
    expect(await served.text()).toContain("Non-specific abdominal pain");
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("refuses a port that is not a number with exit code 2", async () => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, "../../../bin/clinval.js"), "view", "--port", "http"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect([code, stderr]).toEqual([
      2,
      'clinval: --port: must be a port number from 0 to 65535, not "http"\n',
    ]);
  });
});
