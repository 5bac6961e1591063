/**
 * A bounded load on an HTTP server of ours, for `tsrl bench --only serve` and the load test:
 * `clients` concurrent clients, each sending `requests` requests one after another (a closed loop:
 * a client's next request waits for its last answer), then the count of each status, requests per
 * second and latency percentiles. Loopback addresses only: it is a test of our own server.
 */
import { percentile } from "../core/stats";
import { isLoopback } from "./auth";

export interface LoadOptions {
  url: string;
  path: string;
  token?: string;
  clients: number;
  requests: number;
  /** The JSON body of client c's i-th request. */
  body: (client: number, i: number) => unknown;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  /** Milliseconds, over every request. */
  latency: { p50: number; p90: number; p99: number; max: number };
  /** How many answers had each status ("error": no answer, the connection failed). */
  statuses: Record<string, number>;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const host = new URL(o.url).hostname;
  if (!isLoopback(host)) throw new RangeError(`runLoad: ${host} is not a loopback address; load only a server of ours on this machine`);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const headers = { "content-type": "application/json", ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: o.clients }, async (_, client) => {
    for (let i = 0; i < o.requests; i++) {
      const t = performance.now();
      let status: string;
      try {
        const r = await fetch(o.url + o.path, { method: "POST", headers, body: JSON.stringify(o.body(client, i)) });
        await r.arrayBuffer(); // the whole answer (a stream to its end)
        status = String(r.status);
      } catch {
        status = "error";
      }
      latencies.push(performance.now() - t);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return {
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    latency: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: Math.max(...latencies) },
    statuses,
  };
}
