import type { ModelSpec } from "../core/study.ts";

/** Providers that run the model inside this process: one such model runs (and is loaded) at a time. */
const IN_PROCESS = new Set<ModelSpec["provider"]>(["llama-cpp", "classifier"]);

/**
 * The study's models in lanes: lanes run at the same time, the models of a lane one after another in
 * study order. Models that share a server (any base URL's host and port in common) share a lane, so a
 * server is never asked for two models at once; every in-process model is in one lane. With
 * `parallel: false` every model is in a single lane.
 */
export function modelLanes(models: ModelSpec[], parallel = true): ModelSpec[][] {
  if (!parallel) return models.length > 0 ? [models] : [];
  const laneOfServer = new Map<string, number>();
  const lanes: ModelSpec[][] = [];
  for (const spec of models) {
    const servers = serversOf(spec);
    const joined = [...new Set(servers.flatMap((server) => laneOfServer.get(server) ?? []))].sort(
      (a, b) => a - b,
    );
    let lane: number;
    if (joined.length === 0) {
      lane = lanes.push([]) - 1;
    } else {
      // A model on servers of several lanes merges them into the first one, keeping study order.
      lane = joined[0];
      for (const other of joined.slice(1)) {
        lanes[lane].push(...lanes[other]);
        lanes[other] = [];
        for (const [server, index] of laneOfServer) if (index === other) laneOfServer.set(server, lane);
      }
      lanes[lane].sort((a, b) => models.indexOf(a) - models.indexOf(b));
    }
    lanes[lane].push(spec);
    for (const server of servers) laneOfServer.set(server, lane);
  }
  return lanes.filter((lane) => lane.length > 0);
}

/** Jobs a model takes at once: its concurrency, or the sum over its endpoints. */
export function modelConcurrency(spec: Pick<ModelSpec, "concurrency" | "endpoints">): number {
  return spec.endpoints?.reduce((sum, endpoint) => sum + endpoint.concurrency, 0) ?? spec.concurrency;
}

function serversOf(spec: ModelSpec): string[] {
  if (IN_PROCESS.has(spec.provider)) return ["in-process"];
  const urls = spec.endpoints?.map((endpoint) => endpoint.baseUrl) ?? [spec.baseUrl];
  return urls.map((url) => (url === undefined ? `${spec.provider}:default` : new URL(url).host));
}
