/**
 * The package a hospital installs offline (issue 14, item 2; README "Installing on an offline machine"):
 * `npm pack` builds dist/ and writes the tarball; one install on the connected machine fills the npm cache
 * with everything the tarball needs; an `--offline` global install into an empty folder then works from
 * that cache alone, and the installed `clinval` runs its commands and finds its data with plain Node.
 *
 * The cache that `npm install` of a clone leaves holds the dependencies' tarballs but not their registry
 * metadata (a lock file names each tarball directly), and an install of a tarball resolves its dependencies'
 * version ranges from that metadata: hence the connected-machine step, `--prefer-offline` so that it fetches
 * only what the cache lacks (nothing after the first time on a machine).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const projectRoot = join(import.meta.dirname, "..");
const { version } = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as {
  version: string;
};
const folder = await mkdtemp(join(tmpdir(), "clinval-package-"));
const offlinePrefix = join(folder, "offline-machine");
const installed = join(offlinePrefix, "lib", "node_modules", "clinval");
const clinval = join(offlinePrefix, "bin", "clinval");

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function execute(command: string, args: string[], cwd: string): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function npm(args: string[], cwd: string): Promise<void> {
  const finished = await execute("npm", [...args, "--no-audit", "--no-fund"], cwd);
  if (finished.code !== 0) {
    throw new Error(`npm ${args.join(" ")} exited with ${finished.code}:\n${finished.stderr}`);
  }
}

/** The files under src/ that the code reads at run time (everything but TypeScript and test fixtures). */
function runtimeAssets(): string[] {
  return readdirSync(join(projectRoot, "src"), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name).slice(join(projectRoot, "src").length + 1))
    .filter((path) => !path.split(/[\\/]/).includes("fixtures"))
    .sort();
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

beforeAll(async () => {
  await npm(["pack", "--pack-destination", folder], projectRoot);
  const tarball = join(folder, `clinval-${version}.tgz`);
  await npm(
    ["install", "--global", "--prefer-offline", "--prefix", join(folder, "connected"), tarball],
    folder,
  );
  await npm(["install", "--global", "--offline", "--prefix", offlinePrefix, tarball], folder);
}, 900_000);

afterAll(() => rm(folder, { recursive: true, force: true }));

describe("the packed tarball installed offline", () => {
  it("holds the compiled CLI, the data it reads and no TypeScript source or runtime", () => {
    expect(readdirSync(installed).sort()).toEqual([
      "README.md",
      "bin",
      "dist",
      "examples",
      "node_modules",
      "package.json",
      "probes",
      "suites",
    ]);
    expect(existsSync(join(installed, "node_modules", "tsx"))).toBe(false);
    expect(existsSync(join(installed, "node_modules", "typescript"))).toBe(false);
    expect(
      readdirSync(join(installed, "dist"), { recursive: true, encoding: "utf8" }).filter((path) =>
        path.endsWith(".ts"),
      ),
    ).toEqual([]);
    const assets = runtimeAssets();
    expect(assets.map((path) => [path, sha256(join(installed, "dist", path))])).toEqual(
      assets.map((path) => [path, sha256(join(projectRoot, "src", path))]),
    );
  });

  it("prints its help and computes an exact McNemar test", async () => {
    const help = await execute(clinval, ["--help"], folder);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout.split("\n")[0]).toBe("Usage: clinval [options] [command]");
    expect([...help.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((match) => match[1])).toEqual([
      "run",
      "report",
      "models",
      "runs",
      "adjudicate",
      "grading",
      "suites",
      "train",
      "stats",
      "view",
      "sft",
      "demo",
      "help",
    ]);

    // Exact McNemar with b = 8, c = 0: p = 2 × 0.5^8 (R: binom.test(8, 8)$p.value == 0.0078125).
    const mcnemar = await execute(clinval, ["stats", "mcnemar", "--b", "8", "--c", "0"], folder);
    expect(mcnemar).toEqual({
      code: 0,
      stdout: [
        "b (A right, B wrong)   8",
        "c (A wrong, B right)   0",
        "exact p                0.0078125",
        "mid-p                  0.00390625",
        "chi-square             8",
        "  p                    0.00467773",
        "chi-square, corrected  6.125",
        "  p                    0.0133283",
        "",
      ].join("\n"),
      stderr: "",
    });
  });

  it("validates a built-in suite from its own copy", async () => {
    const validated = await execute(clinval, ["suites", "validate", "dx-core", "--json"], folder);
    expect(validated.code, validated.stderr).toBe(0);
    const casesFile = join(installed, "suites", "dx-core", "2", "cases.jsonl");
    expect(JSON.parse(validated.stdout)).toMatchObject({
      file: casesFile,
      cases: 300,
      sha256: sha256(join(projectRoot, "suites", "dx-core", "2", "cases.jsonl")),
    });
  });

  it("runs the demo: terminology, store writer thread and the in-process engine", async () => {
    const work = join(folder, "demo");
    await mkdir(work);
    const demo = await execute(
      clinval,
      ["demo", "--limit", "2", "--store", join(work, "clinval.db"), "--output", join(work, "report")],
      work,
    );
    expect(demo.code, demo.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(work, "report", "report.json"), "utf8"));
    expect(report.models.map((model: { id: string; n: number }) => [model.id, model.n])).toEqual([
      ["tiny-random-seed-1", 2],
      ["tiny-random-seed-2", 2],
    ]);
  });

  it("serves the workbench with its stylesheet and script", async () => {
    const child = spawn(clinval, ["view", "--port", "0", "--store", join(folder, "view.db")], {
      cwd: folder,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let output = "";
        child.stdout.on("data", (chunk) => {
          output += String(chunk);
          const url = /http:\/\/\S+/.exec(output)?.[0];
          if (url && output.includes("Press Ctrl+C to stop.")) resolve(url);
        });
        child.once("exit", (code) => reject(new Error(`clinval view exited with ${code}: ${output}`)));
      });
      const served = await Promise.all(
        ["workbench.css", "workbench.js"].map(async (name) => {
          const response = await fetch(new URL(`assets/${name}`, address));
          return [response.status, await response.text()];
        }),
      );
      expect(served).toEqual(
        ["workbench.css", "workbench.js"].map((name) => [
          200,
          readFileSync(join(projectRoot, "src", "server", "assets", name), "utf8"),
        ]),
      );
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });
});
