/**
 * A bounded load test of the HTTP server on 127.0.0.1: 8 concurrent clients × 25 requests each on a
 * tiny GPT-2 the test writes (completions, batched) and on a Tic-Tac-Toe policy (act). Every answer
 * must be a 200 — no 5xx, no refusals at this load — and latency p50/p99 are printed. The GPT-2's
 * batches must have held more than one request on average (the point of batching).
 */
import { describe, expect, it } from "vitest";
import { useServeFixtures } from "./serve-fixtures";
import { call, percentile, startGpt2Server, startPolicyServer, type TestServer } from "./serve-http-harness";

const fixtures = useServeFixtures("load");
const CLIENTS = 8, REQUESTS = 25;

/** CLIENTS clients, each sending REQUESTS requests one after another; every status and latency (ms). */
async function load(s: TestServer, path: string, body: (client: number, i: number) => object) {
  const statuses: number[] = [], latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async (_, client) => {
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      const r = await call(s.url, path, { body: body(client, i) });
      latencies.push(performance.now() - t);
      statuses.push(r.status);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { statuses, latencies, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: statuses.length / seconds };
}

function report(what: string, r: Awaited<ReturnType<typeof load>>, extra = "") {
  console.log(`${what}: ${r.statuses.length} requests in ${r.seconds.toFixed(1)} s (${r.perSecond.toFixed(1)}/s), latency p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms${extra}`);
}

describe(`load: ${CLIENTS} clients × ${REQUESTS} requests`, () => {
  it("a tiny GPT-2: every completion a 200, batched", async () => {
    const s = await startGpt2Server(fixtures.fx.gpt2);
    try {
      const r = await load(s, "/v1/completions", (client, i) => ({ model: "tiny", prompt: `Request ${i} of client ${client}:`, max_tokens: 8, ...(i % 5 === 4 ? { stream: true } : {}) }));
      const stats = s.generator.stats();
      report("GPT-2 (1 layer, 16 wide) completions of 8 tokens", r, `; ${stats.batches} batches, ${stats.meanBatch.toFixed(1)} requests per batch`);
      expect(r.statuses.filter((x) => x !== 200)).toEqual([]);
      expect(stats.meanBatch).toBeGreaterThan(1.5);
      expect(s.logs).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("a Tic-Tac-Toe policy: every action a 200", async () => {
    const s = await startPolicyServer(fixtures.fx.ticTacToe);
    try {
      const boards = [[0, 0, 0, 0, 0, 0, 0, 0, 0], [1, -1, 0, 0, 0, 0, 0, 0, 0], [-1, 0, 0, 0, 0, 0, 0, 0, 0], [1, -1, 1, -1, 0, 0, 0, 0, 0]];
      const r = await load(s, "/v1/act", (client, i) => ({ obs: boards[(client + i) % boards.length], greedy: i % 2 === 0 }));
      report("Tic-Tac-Toe actor-critic actions", r);
      expect(r.statuses.filter((x) => x !== 200)).toEqual([]);
      expect(s.logs).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
