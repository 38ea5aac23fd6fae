/**
 * The bad-input corpus (test/bad-inputs/corpus.yaml): every entry must be refused with its exit code and
 * message, without a stack trace, without a model call, and without a run written to the store; a store
 * that is refused is left byte-identical.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { openStore } from "../src/store/store.ts";
import {
  type OpenAICompatibleServer,
  startOpenAICompatibleServer,
} from "./support/openai-compatible-server.ts";
import { runCli } from "./support/run-cli.ts";

interface Entry {
  name: string;
  study?: string;
  replace?: Array<[string, string]>;
  append?: string;
  files?: Record<string, string>;
  args?: string[];
  store?: "text" | "foreign" | "newer" | "empty";
  exit?: number;
  message: string;
}

const corpus = parse(readFileSync(join(import.meta.dirname, "bad-inputs", "corpus.yaml"), "utf8")) as {
  base: string;
  entries: Entry[];
};

const CASES = [
  {
    id: "c1",
    presentation: "A 30-year-old man with fever and cough.",
    diagnosis: "Influenza",
    specialty: "medicine",
  },
  {
    id: "c2",
    presentation: "A 70-year-old woman with sudden weakness.",
    diagnosis: "Stroke",
    specialty: "neurology",
  },
  {
    id: "c3",
    presentation: "A 4-year-old with a barking cough.",
    diagnosis: "Croup",
    specialty: "pediatrics",
  },
]
  .map((testCase) => `${JSON.stringify(testCase)}\n`)
  .join("");

let server: OpenAICompatibleServer;
let root: string;

beforeAll(async () => {
  server = await startOpenAICompatibleServer({
    reply: () => ({ content: '{"diagnoses": ["Influenza"]}' }),
    models: ["model-a"],
  });
  root = await mkdtemp(join(tmpdir(), "clinval-bad-inputs-"));
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

async function prepareStore(path: string, kind: Entry["store"]): Promise<void> {
  if (kind === "text") await writeFile(path, "notes, not a database\n".repeat(200));
  if (kind === "foreign") {
    const client = createClient({ url: pathToFileURL(path).href });
    await client.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)");
    client.close();
  }
  if (kind === "newer" || kind === "empty") {
    const store = await openStore(path);
    await store.close();
  }
  if (kind === "newer") {
    const client = createClient({ url: pathToFileURL(path).href });
    await client.execute(
      "INSERT INTO migrations (version, name, applied_at) VALUES (999, 'future', 'later')",
    );
    // Everything into the database file itself, so that "byte-identical" is about that file alone.
    await client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    client.close();
  }
}

async function runRows(path: string): Promise<number> {
  const client = createClient({ url: pathToFileURL(path).href });
  try {
    return Number((await client.execute("SELECT count(*) FROM runs")).rows[0][0]);
  } finally {
    client.close();
  }
}

describe("the bad-input corpus", () => {
  it("holds at least 120 entries with distinct names", () => {
    expect(corpus.entries.length).toBeGreaterThanOrEqual(120);
    expect(new Set(corpus.entries.map((entry) => entry.name)).size).toBe(corpus.entries.length);
  });

  it.each(corpus.entries.map((entry) => [entry.name, entry] as const))("%s", async (name, entry) => {
    const folder = join(root, name.replace(/[^a-z0-9]+/gi, "-"));
    await mkdir(folder, { recursive: true });
    const store = join(folder, "store.db");
    const fill = (text: string) =>
      text
        .replaceAll("{{server}}", server.url)
        .replaceAll("{{folder}}", folder)
        .replaceAll("{{store}}", store);
    let study = entry.study ?? corpus.base;
    for (const [from, to] of entry.replace ?? []) {
      expect(study, `"${from}" is not in the study`).toContain(from);
      study = study.replace(from, to);
    }
    study += entry.append ?? "";
    await writeFile(join(folder, "study.yaml"), fill(study));
    await writeFile(join(folder, "cases.jsonl"), CASES);
    for (const [file, content] of Object.entries(entry.files ?? {})) {
      await writeFile(
        join(folder, file),
        content.startsWith("base64:") ? Buffer.from(content.slice(7), "base64") : content,
      );
    }
    await prepareStore(store, entry.store);
    const before = existsSync(store) ? await readFile(store) : undefined;
    const calls = server.requests.length;

    const args = (entry.args ?? ["run", "{{folder}}/study.yaml", "--store", "{{store}}"]).map(fill);
    const result = await runCli(args);

    expect({ code: result.code, stdout: result.stdout }, result.stderr).toEqual({
      code: entry.exit ?? 2,
      stdout: "",
    });
    expect(result.stderr).toContain(fill(entry.message));
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at \S+ \(/);
    expect(server.requests.length - calls, "no model is called").toBe(0);
    if (entry.store === "text" || entry.store === "foreign" || entry.store === "newer") {
      expect((await readFile(store)).equals(before as Buffer), "the store is left byte-identical").toBe(true);
    } else if (existsSync(store)) {
      expect(await runRows(store), "no run is written").toBe(0);
    }
  });
});
