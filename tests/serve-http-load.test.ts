/**
 * A bounded load test of the HTTP server on 127.0.0.1: 8 concurrent clients × 25 requests each on a
 * tiny GPT-2 the test writes (completions, every fifth streamed, batched) and on a Tic-Tac-Toe
 * policy (act). Every answer must be a 200 — no 5xx, no refusals at this load — and requests/s and
 * latency p50/p99 are printed. The GPT-2's batches must have held more than one request on average
 * (the point of batching).
 */
import { describe, expect, it } from "vitest";
import { runLoad, type LoadResult } from "../lib/serve/load-client";
import { useServeFixtures } from "./serve-fixtures";
import { startGpt2Server, startPolicyServer, TOKEN } from "./serve-http-harness";

const fixtures = useServeFixtures("load");
const CLIENTS = 8, REQUESTS = 25;

function report(what: string, r: LoadResult, extra = "") {
  console.log(`${what}: ${r.requests} requests in ${r.seconds.toFixed(1)} s (${r.perSecond.toFixed(1)}/s), latency p50 ${r.latency.p50.toFixed(0)} ms, p99 ${r.latency.p99.toFixed(0)} ms${extra} (clients in the same process)`);
}

describe(`load: ${CLIENTS} clients × ${REQUESTS} requests`, () => {
  it("a tiny GPT-2: every completion a 200, batched", async () => {
    const s = await startGpt2Server(fixtures.fx.gpt2);
    try {
      const r = await runLoad({
        url: s.url, path: "/v1/completions", token: TOKEN, clients: CLIENTS, requests: REQUESTS,
        body: (client, i) => ({ model: "tiny", prompt: `Request ${i} of client ${client}:`, max_tokens: 8, ...(i % 5 === 4 ? { stream: true } : {}) }),
      });
      const stats = s.generator.stats();
      report("GPT-2 (1 layer, 16 wide) completions of 8 tokens", r, `; ${stats.batches} batches, ${stats.meanBatch.toFixed(1)} requests per batch`);
      expect(r.statuses).toEqual({ 200: CLIENTS * REQUESTS });
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
      const r = await runLoad({ url: s.url, path: "/v1/act", token: TOKEN, clients: CLIENTS, requests: REQUESTS, body: (client, i) => ({ obs: boards[(client + i) % boards.length], greedy: i % 2 === 0 }) });
      report("Tic-Tac-Toe actor-critic actions", r);
      expect(r.statuses).toEqual({ 200: CLIENTS * REQUESTS });
      expect(s.logs).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
