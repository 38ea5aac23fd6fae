import type { Completion } from "../core/chat.ts";
import { describeUrl } from "./http-stream.ts";
import { type CompletionRequest, type Provider, ProviderError } from "./provider.ts";

/** One server of a model, with its own provider (connections) and how many requests it takes at once. */
export interface Endpoint {
  baseUrl: string;
  concurrency: number;
  provider: Provider;
}

export interface EndpointPoolOptions {
  /** Failures in a row (connection, timeout, 5xx) after which an endpoint is taken out. Default 3. */
  failuresBeforeOut?: number;
  /** How often an endpoint that is out is asked (its `identify`) whether it is back. Default 5 s. */
  healthCheckMs?: number;
  /** Called when an endpoint is taken out or put back. */
  onChange?: (baseUrl: string, state: "out" | "back", reason: string) => void;
}

interface EndpointState extends Endpoint {
  /** The address without credentials, as recorded in completions. */
  name: string;
  inFlight: number;
  failuresInRow: number;
  healthy: boolean;
  checking: boolean;
}

/**
 * A model served by several servers (replicas): each call goes to the healthy endpoint with the most
 * free room relative to its concurrency, waiting for room when every healthy one is full. An endpoint
 * that fails `failuresBeforeOut` times in a row is taken out and asked every `healthCheckMs` whether it
 * is back; when every endpoint is out, calls fail at once as `connection` failures (the runner's retries
 * and backoff give the health checks time). Each completion names the endpoint that answered.
 */
export function createEndpointPool(endpoints: Endpoint[], options: EndpointPoolOptions = {}): Provider {
  const failuresBeforeOut = options.failuresBeforeOut ?? 3;
  const healthCheckMs = options.healthCheckMs ?? 5_000;
  const states: EndpointState[] = endpoints.map((endpoint) => ({
    ...endpoint,
    name: describeUrl(endpoint.baseUrl).replace(/\/+$/, ""),
    inFlight: 0,
    failuresInRow: 0,
    healthy: true,
    checking: false,
  }));
  const waiting: Array<() => void> = [];
  const closing = new AbortController();
  let turn = 0;

  const wakeOne = () => waiting.shift()?.();

  const pick = (): EndpointState | undefined => {
    let best: EndpointState | undefined;
    let bestRoom = 0;
    for (let offset = 0; offset < states.length; offset++) {
      const state = states[(turn + offset) % states.length];
      if (!state.healthy) continue;
      const room = (state.concurrency - state.inFlight) / state.concurrency;
      if (room > bestRoom) {
        best = state;
        bestRoom = room;
      }
    }
    turn = (turn + 1) % states.length;
    return best;
  };

  const acquire = async (signal: AbortSignal): Promise<EndpointState> => {
    for (;;) {
      if (!states.some((state) => state.healthy)) {
        throw new ProviderError(
          "connection",
          `every endpoint is out after repeated failures: ${states.map((state) => state.name).join(", ")}`,
        );
      }
      const chosen = pick();
      if (chosen) {
        chosen.inFlight++;
        return chosen;
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const index = waiting.indexOf(wake);
          if (index !== -1) waiting.splice(index, 1);
          reject(new ProviderError("cancelled", "cancelled while waiting for a free endpoint"));
        };
        const wake = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        waiting.push(wake);
      });
    }
  };

  const takeOut = (state: EndpointState, reason: string) => {
    state.healthy = false;
    options.onChange?.(state.name, "out", reason);
    // Calls waiting for room may now have none left anywhere: let them see it.
    for (const wake of waiting.splice(0)) wake();
    scheduleHealthCheck(state);
  };

  const scheduleHealthCheck = (state: EndpointState) => {
    if (state.checking || closing.signal.aborted) return;
    state.checking = true;
    const timer = setTimeout(async () => {
      const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(Math.max(healthCheckMs, 1_000))]);
      try {
        await state.provider.identify(signal);
        state.failuresInRow = 0;
        state.healthy = true;
        state.checking = false;
        options.onChange?.(state.name, "back", "the health check succeeded");
        for (let slot = 0; slot < state.concurrency; slot++) wakeOne();
      } catch {
        state.checking = false;
        scheduleHealthCheck(state);
      }
    }, healthCheckMs);
    timer.unref();
  };

  return {
    async identify(signal) {
      // Ask every endpoint; one that does not answer is taken out (and checked again later).
      const answers = await Promise.allSettled(states.map((state) => state.provider.identify(signal)));
      const identified = answers.find((answer) => answer.status === "fulfilled");
      if (identified === undefined) throw (answers[0] as PromiseRejectedResult).reason;
      answers.forEach((answer, index) => {
        if (answer.status === "rejected" && states[index].healthy && !signal.aborted) {
          takeOut(states[index], String((answer.reason as Error)?.message ?? answer.reason));
        }
      });
      return identified.value;
    },

    async complete(request: CompletionRequest): Promise<Completion> {
      const state = await acquire(request.signal);
      try {
        const completion = await state.provider.complete(request);
        state.failuresInRow = 0;
        return { ...completion, endpoint: state.name };
      } catch (error) {
        if (countsAgainstEndpoint(error) && state.healthy) {
          state.failuresInRow++;
          if (state.failuresInRow >= failuresBeforeOut) {
            takeOut(state, error instanceof Error ? error.message : String(error));
          }
        }
        throw error;
      } finally {
        state.inFlight--;
        wakeOne();
      }
    },

    async close() {
      closing.abort(new Error("the provider was closed"));
      await Promise.allSettled(states.map((state) => state.provider.close()));
    },
  };
}

/** Failures that say something about the server rather than the request. */
function countsAgainstEndpoint(error: unknown): boolean {
  if (!(error instanceof ProviderError)) return false;
  if (error.failure === "connection" || error.failure === "timeout") return true;
  return error.failure === "http" && error.status !== undefined && error.status >= 500;
}
