import dns from "node:dns";
import { get } from "node:http";
import net from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { startOpenAICompatibleServer } from "../../test/support/openai-compatible-server.ts";
import { type EgressGuard, hostFilter, installEgressGuard, studyHosts } from "./egress-guard.ts";

let guard: EgressGuard | undefined;
afterEach(() => {
  guard?.uninstall();
  guard = undefined;
});

function socketError(socket: net.Socket): Promise<Error> {
  return new Promise((resolve) => socket.once("error", resolve));
}

describe("installEgressGuard", () => {
  it("stops every kind of connection to a host the study does not name, before a name is resolved", async () => {
    const refused: string[] = [];
    guard = installEgressGuard(["models.hospital.example"], (error) => refused.push(error.host));

    const viaFetch = await fetch("https://telemetry.example.com/collect").catch((error: Error) => error);
    const viaHttp = await new Promise<Error>((resolve) =>
      get("http://updates.example.net/check", () => resolve(new Error("answered"))).once("error", resolve),
    );
    const viaNet = await socketError(net.connect(443, "203.0.113.7"));
    const viaTls = await socketError(tls.connect({ host: "metrics.example.org", port: 443 }));
    const viaDns = await new Promise<Error | null>((resolve) =>
      dns.lookup("exfiltrate.example.com", (error) => resolve(error)),
    );
    const viaDnsPromise = await dns.promises.lookup("beacon.example.com").catch((error: Error) => error);

    expect((viaFetch as Error & { cause?: Error }).cause?.message).toContain("telemetry.example.com");
    expect(viaHttp.message).toContain("updates.example.net, a host the study does not name");
    expect(viaNet.message).toContain("203.0.113.7");
    expect(viaTls.message).toContain("metrics.example.org");
    expect(viaDns?.message).toContain("exfiltrate.example.com");
    expect((viaDnsPromise as Error).message).toContain("beacon.example.com");
    // The run is told once, about the first host.
    expect(refused).toEqual(["telemetry.example.com"]);
    expect(guard.violation()?.message).toBe(
      "something in this process tried to connect to telemetry.example.com, a host the study does not name; " +
        "the run was stopped. Nothing was sent. If that host is meant to be reached, pass --allow-host telemetry.example.com",
    );
  });

  it("lets loopback through, and puts everything back when uninstalled", async () => {
    const server = await startOpenAICompatibleServer({ reply: () => ({ content: "ok" }), models: ["m"] });
    try {
      guard = installEgressGuard([], () => {});
      const response = await fetch(`${server.url}/models`);
      expect(response.status).toBe(200);
      await response.text();
      guard.uninstall();
      const connect = net.Socket.prototype.connect;
      expect(connect.name).not.toBe("guardedConnect");
      expect(dns.lookup.name).not.toBe("guardedLookup");
      expect(guard.blocked).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe("hostFilter", () => {
  it("allows loopback, the named hosts and subdomains of a *. entry, nothing else", () => {
    const allowed = hostFilter(["GPU-1.hospital.example", "*.mirror.example.org", "10.1.2.3"]);
    const hosts = [
      "localhost",
      "127.0.0.1",
      "::1",
      "[::1]",
      "gpu-1.hospital.example",
      "gpu-1.hospital.example.",
      "cdn.mirror.example.org",
      "mirror.example.org",
      "10.1.2.3",
      "gpu-2.hospital.example",
      "evil-mirror.example.org",
      "10.1.2.4",
    ];
    expect(hosts.filter(allowed)).toEqual([
      "localhost",
      "127.0.0.1",
      "::1",
      "[::1]",
      "gpu-1.hospital.example",
      "gpu-1.hospital.example.",
      "cdn.mirror.example.org",
      "10.1.2.3",
    ]);
  });
});

describe("studyHosts", () => {
  it("names the models' and judge's servers, and Hugging Face only for an hf: model", () => {
    const specs = [
      { provider: "openai", model: "m", baseUrl: "http://gpu-1.hospital.example:8000/v1" },
      {
        provider: "openai",
        model: "m",
        endpoints: [{ baseUrl: "http://10.0.0.5:8000/v1" }, { baseUrl: "https://gpu-2.hospital.example/v1" }],
      },
      { provider: "llama-cpp", model: "./local.gguf" },
    ];
    expect(studyHosts(specs, {})).toEqual(["gpu-1.hospital.example", "10.0.0.5", "gpu-2.hospital.example"]);
    expect(studyHosts([{ provider: "llama-cpp", model: "hf:owner/repo/model.gguf" }], {})).toEqual([
      "huggingface.co",
      "*.huggingface.co",
      "hf.co",
      "*.hf.co",
    ]);
    expect(
      studyHosts([{ provider: "llama-cpp", model: "hf:owner/repo/model.gguf" }], {
        HF_ENDPOINT: "https://hf-mirror.hospital.example",
      }),
    ).toEqual(["hf-mirror.hospital.example", "*.hf-mirror.hospital.example"]);
  });
});
