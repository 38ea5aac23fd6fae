import { jsonObject, startLoopbackServer } from "../../test/support/loopback-server.ts";
import type { Case } from "../core/case.ts";
import { SeededRandom } from "../stats/index.ts";
import type { Embedder, EmbedderIdentity, EmbedderSpec } from "./embedders.ts";

export const LABELS = ["negative", "routine", "urgent"];

const FINDINGS: Record<string, string[]> = {
  negative: [
    "No acute intracranial abnormality.",
    "Lungs are clear. No pleural effusion.",
    "Normal appearance of the liver, spleen and kidneys.",
    "Simple subcutaneous lipoma, no follow-up needed.",
    "No fracture or dislocation.",
    "Unremarkable study for age.",
  ],
  routine: [
    "Indeterminate 6 mm pulmonary nodule; follow-up CT in 6 months.",
    "Moderate degenerative disc disease with foraminal narrowing.",
    "Bosniak 2F renal cyst, suggest follow-up imaging.",
    "Uncomplicated cholelithiasis, outpatient surgical referral.",
    "Mild hepatic steatosis and a small hiatus hernia.",
    "Thyroid nodule measuring 18 mm, ultrasound advised.",
  ],
  urgent: [
    "Acute subdural haematoma with midline shift.",
    "Filling defects in the segmental pulmonary arteries in keeping with pulmonary embolism.",
    "Free intraperitoneal air consistent with perforation.",
    "Dilated small bowel loops with a transition point: obstruction.",
    "Type A aortic dissection involving the ascending aorta.",
    "Large tension pneumothorax with mediastinal shift.",
  ],
};

const FILLER = [
  "Comparison with the prior study.",
  "Technique: axial images with reformats.",
  "Bones show age-related change.",
  "Visualised upper abdomen as described.",
  "Motion artefact limits assessment slightly.",
];

export interface SyntheticReport extends Case {
  text: string;
  label: string;
}

/** Simulated CT reports whose label follows from one key finding, with seeded filler around it. */
export function syntheticReports(count: number, seed: number): SyntheticReport[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const label = LABELS[index % LABELS.length];
    const findings = FINDINGS[label];
    const parts = [
      `EXAMINATION: CT study ${random.nextInt(1000)}.`,
      FILLER[random.nextInt(FILLER.length)],
      `FINDINGS: ${findings[random.nextInt(findings.length)]}`,
      FILLER[random.nextInt(FILLER.length)],
      `IMPRESSION: ${findings[random.nextInt(findings.length)]}`,
    ];
    return { id: `r-${String(index + 1).padStart(4, "0")}`, text: parts.join(" "), label };
  });
}

/**
 * A fake embedder that records its calls: each text becomes a vector whose first dimensions say which
 * label's key findings it mentions, plus seeded noise, so a probe can separate the classes.
 */
export class FakeEmbedder implements Embedder {
  readonly spec: EmbedderSpec = { kind: "ollama", model: "fake-embed", baseUrl: "http://127.0.0.1:9" };
  readonly calls: string[][] = [];
  closed = false;

  constructor(
    readonly batchSize = 16,
    private readonly identity: EmbedderIdentity = { name: "fake:embed", digest: "fake-digest" },
    private readonly dimensions = 12,
  ) {}

  async identify(): Promise<EmbedderIdentity> {
    return this.identity;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    this.calls.push([...texts]);
    return texts.map((text) => {
      const random = new SeededRandom(hashText(text));
      const vector = Array.from({ length: this.dimensions }, () => random.nextInt(1000) / 1000 - 0.5);
      LABELS.forEach((label, index) => {
        if (FINDINGS[label].some((finding) => text.includes(finding))) vector[index] += 3;
      });
      return vector;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function hashText(text: string): number {
  let hash = 7;
  for (let index = 0; index < text.length; index++)
    hash = (Math.imul(hash, 31) + text.charCodeAt(index)) >>> 0;
  return hash;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

export interface FakeEmbeddingServer {
  origin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A loopback server answering Ollama's `/api/tags` and `/api/embed` and OpenAI's `/v1/embeddings` with the
 * vectors of `FakeEmbedder`, recording every request. `status` makes the embedding routes fail.
 */
export async function startFakeEmbeddingServer(
  options: { digest?: string; status?: number; shuffleOpenAi?: boolean } = {},
): Promise<FakeEmbeddingServer> {
  const embedder = new FakeEmbedder();
  const requests: RecordedRequest[] = [];
  const server = await startLoopbackServer(async (request, response, body) => {
    const path = request.url ?? "";
    const parsed = jsonObject(body);
    requests.push({ method: request.method ?? "", path, headers: request.headers, body: parsed });
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    if (path === "/api/tags") {
      send(200, {
        models: [
          { name: "fake-embed:latest", model: "fake-embed:latest", digest: options.digest ?? "d1g357" },
        ],
      });
      return;
    }
    if (options.status !== undefined) {
      send(options.status, { error: "the embedding model is not loaded" });
      return;
    }
    const input = Array.isArray(parsed.input) ? (parsed.input as string[]) : [];
    const vectors = await embedder.embed(input);
    if (path === "/api/embed") {
      send(200, { model: parsed.model, embeddings: vectors });
    } else if (path === "/v1/embeddings") {
      const data = vectors.map((embedding, index) => ({ object: "embedding", index, embedding }));
      send(200, { object: "list", model: parsed.model, data: options.shuffleOpenAi ? data.reverse() : data });
    } else {
      send(404, { error: `no route ${path}` });
    }
  });
  return { origin: server.origin, requests, close: server.close };
}
