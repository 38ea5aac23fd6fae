import dns from "node:dns";
import net from "node:net";
import { ClinvalError } from "../core/errors.ts";

/**
 * While a run goes, connections may leave the process only for the hosts the study names (and
 * loopback). The guard wraps `net.Socket.prototype.connect`, through which every connection made from
 * JavaScript passes (node:http and node:https, tls.connect, the built-in fetch and undici), and
 * `dns.lookup` / `dns.promises.lookup`, so that a name is not even resolved. It cannot see a native
 * addon that opens sockets itself, nor a child process; see docs/decisions/0031-egress-guard.md.
 */
export interface EgressGuard {
  /** The first host refused, if any. */
  readonly blocked: string | undefined;
  /** The error for the refused host (names it and how to allow it), or undefined when none was refused. */
  violation(): EgressBlockedError | undefined;
  uninstall(): void;
}

export class EgressBlockedError extends ClinvalError {
  constructor(readonly host: string) {
    super(
      "egress-blocked",
      `something in this process tried to connect to ${host}, a host the study does not name; ` +
        "the run was stopped. Nothing was sent. If that host is meant to be reached, pass --allow-host " +
        `${host}`,
    );
    this.name = "EgressBlockedError";
  }
}

/**
 * Hosts are names or addresses, compared without case; `*.example.org` allows every subdomain of
 * example.org. `onBlocked` is called once, at the first refused host.
 */
export function installEgressGuard(
  allowedHosts: Iterable<string>,
  onBlocked: (error: EgressBlockedError) => void,
): EgressGuard {
  const allowed = hostFilter(allowedHosts);

  let first: EgressBlockedError | undefined;
  const refuse = (host: string): EgressBlockedError => {
    const error = new EgressBlockedError(host);
    if (first === undefined) {
      first = error;
      onBlocked(error);
    }
    return error;
  };

  const originalConnect = net.Socket.prototype.connect;
  const originalLookup = dns.lookup;
  const originalPromiseLookup = dns.promises.lookup;

  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const host = targetHost(args);
    if (host !== undefined && !allowed(host)) {
      const error = refuse(host);
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return (originalConnect as (...rest: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;

  dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
    if (typeof hostname === "string" && !allowed(hostname)) {
      const error = refuse(hostname);
      const callback = rest.at(-1);
      if (typeof callback === "function") process.nextTick(() => callback(error));
      return {};
    }
    return (originalLookup as (...all: unknown[]) => unknown)(hostname, ...rest);
  } as typeof dns.lookup;

  dns.promises.lookup = function guardedPromiseLookup(hostname: string, ...rest: unknown[]) {
    if (typeof hostname === "string" && !allowed(hostname)) return Promise.reject(refuse(hostname));
    return (originalPromiseLookup as (...all: unknown[]) => Promise<unknown>)(hostname, ...rest);
  } as typeof dns.promises.lookup;

  return {
    get blocked() {
      return first?.host;
    },
    violation: () => first,
    uninstall() {
      net.Socket.prototype.connect = originalConnect;
      dns.lookup = originalLookup;
      dns.promises.lookup = originalPromiseLookup;
    },
  };
}

/** Whether a host may be reached: loopback, a host of the list, or a subdomain of a `*.` entry. */
export function hostFilter(allowedHosts: Iterable<string>): (host: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const host of allowedHosts) {
    const name = normalizeHost(host);
    if (name.startsWith("*.")) suffixes.push(name.slice(1));
    else exact.add(name);
  }
  return (host) => {
    const name = normalizeHost(host);
    return isLoopback(name) || exact.has(name) || suffixes.some((suffix) => name.endsWith(suffix));
  };
}

/** The host a `socket.connect(...)` call goes to, or undefined for a local (IPC) socket path. */
function targetHost(args: unknown[]): string | undefined {
  // node:net passes its own normalized [options, callback] array as the first argument.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === "object" && first !== null) {
    const options = first as { host?: unknown; path?: unknown };
    if (typeof options.path === "string") return undefined;
    return typeof options.host === "string" && options.host !== "" ? options.host : "localhost";
  }
  if (typeof first === "string" && !/^\d+$/.test(first)) return undefined; // a socket path
  const host = Array.isArray(args[0]) ? undefined : args[1];
  return typeof host === "string" && host !== "" ? host : "localhost";
}

function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
}

function isLoopback(host: string): boolean {
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    /^::ffff:127\.\d+\.\d+\.\d+$/.test(host)
  );
}

/** The hosts a study's models and judge reach: their base URLs, and the download server of an `hf:` model. */
export function studyHosts(
  specs: Array<{
    provider: string;
    model: string;
    baseUrl?: string;
    endpoints?: Array<{ baseUrl: string }>;
  }>,
  environment: NodeJS.ProcessEnv = process.env,
): string[] {
  const hosts = new Set<string>();
  for (const spec of specs) {
    for (const url of [spec.baseUrl, ...(spec.endpoints ?? []).map((endpoint) => endpoint.baseUrl)]) {
      if (url !== undefined && URL.canParse(url)) hosts.add(new URL(url).hostname);
    }
    if (spec.provider === "llama-cpp" && /^(hf:|huggingface:)/i.test(spec.model)) {
      const mirror = [environment.MODEL_ENDPOINT, environment.HF_ENDPOINT].find(
        (candidate): candidate is string => Boolean(candidate && URL.canParse(candidate)),
      );
      if (mirror) {
        const host = new URL(mirror).hostname;
        hosts.add(host).add(`*.${host}`);
      } else {
        // Hugging Face answers on huggingface.co and sends the file from its CDN hosts under hf.co.
        for (const host of ["huggingface.co", "*.huggingface.co", "hf.co", "*.hf.co"]) hosts.add(host);
      }
    } else if (spec.provider === "llama-cpp" && /^https?:\/\//i.test(spec.model)) {
      hosts.add(new URL(spec.model).hostname);
    }
  }
  return [...hosts];
}
