/**
 * The HTTP server's speed, for `tsrl bench --only serve`: requests per second and latency
 * percentiles of the course's tiny GPT-2 (GPT2_TINY, random weights: speed does not depend on
 * training) answering completions, and of a Tic-Tac-Toe actor-critic answering /v1/act, under 8
 * concurrent clients on 127.0.0.1 (lib/serve/load-client.ts). For the GPT-2, each batching window
 * is measured twice: under the 8 clients (what batching gains) and with one client alone (what a
 * lone request pays for waiting). The clients run in the server's process, so they share its cores.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { saveAgent } from "../algos/checkpoint";
import { createAgent, loadPolicy } from "../algos/registry";
import { createRng } from "../core/rng";
import { removeCheckpointDir } from "../data/out-dir";
import { GPT2_TINY } from "../nn/gpt2/config";
import { createGpt2 } from "../nn/gpt2/model";
import { loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { createServer } from "./app";
import { makeToken } from "./auth";
import { mountGpt2, mountPolicy } from "./faces";
import { runLoad, type LoadResult } from "./load-client";

export interface ServeBenchResult {
  note: string;
  gpt2: {
    model: string;
    maxTokens: number;
    clients: number;
    requestsPerClient: number;
    byWindow: { windowMs: number; concurrent: LoadResult & { meanBatch: number }; alone: LoadResult }[];
  };
  ticTacToe: { clients: number; requestsPerClient: number; load: LoadResult };
}

const CLIENTS = 8;

export async function benchServe(opts: { quick?: boolean; log?: (text: string) => void } = {}): Promise<ServeBenchResult> {
  const log = opts.log ?? (() => {});
  const requests = opts.quick ? 4 : 25;
  const windows = opts.quick ? [0, 5] : [0, 2, 5, 10, 20];
  const maxTokens = 16;
  const token = makeToken();

  const model = createGpt2(GPT2_TINY, createRng(0));
  const tok = loadGpt2Tokenizer();
  const byWindow: ServeBenchResult["gpt2"]["byWindow"] = [];
  try {
    for (const windowMs of windows) {
      const app = await createServer({ host: "127.0.0.1", token, limits: { ratePerMinute: 0 } });
      const { generator } = mountGpt2(app, model, tok, { name: "tiny", rng: createRng(1), maxQueue: 64, batch: { windowMs } });
      const url = await app.listen({ host: "127.0.0.1", port: 0 });
      const body = (client: number, i: number) => ({ model: "tiny", prompt: `Request ${i} of client ${client}: the soup was`, max_tokens: maxTokens });
      log(`GPT-2 tiny, batching window ${windowMs} ms: ${CLIENTS} clients × ${requests} completions of ${maxTokens} tokens, then 1 client`);
      await runLoad({ url, path: "/v1/completions", token, clients: 2, requests: 1, body }); // warm-up
      const before = generator.stats();
      const concurrent = await runLoad({ url, path: "/v1/completions", token, clients: CLIENTS, requests, body });
      const after = generator.stats();
      const alone = await runLoad({ url, path: "/v1/completions", token, clients: 1, requests: Math.max(4, Math.floor(requests / 2)), body });
      await app.close();
      byWindow.push({ windowMs, concurrent: { ...concurrent, meanBatch: (after.rows - before.rows) / (after.batches - before.batches) }, alone });
    }
  } finally {
    model.dispose();
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-bench-serve-"));
  let ticTacToe: ServeBenchResult["ticTacToe"];
  try {
    const agent = await createAgent("actor-critic", { envId: "TicTacToe-v0", seed: 1 });
    saveAgent(path.join(dir, "ttt"), agent);
    agent.dispose();
    const app = await createServer({ host: "127.0.0.1", token, limits: { ratePerMinute: 0 } });
    mountPolicy(app, loadPolicy(path.join(dir, "ttt")), { rng: createRng(1), maxQueue: 64 });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    const boards = [[0, 0, 0, 0, 0, 0, 0, 0, 0], [1, -1, 0, 0, 0, 0, 0, 0, 0], [-1, 0, 0, 0, 0, 0, 0, 0, 0], [1, -1, 1, -1, 0, 0, 0, 0, 0]];
    log(`Tic-Tac-Toe actor-critic: ${CLIENTS} clients × ${requests * 4} actions`);
    const body = (client: number, i: number) => ({ obs: boards[(client + i) % boards.length] });
    await runLoad({ url, path: "/v1/act", token, clients: 2, requests: 2, body }); // warm-up
    ticTacToe = { clients: CLIENTS, requestsPerClient: requests * 4, load: await runLoad({ url, path: "/v1/act", token, clients: CLIENTS, requests: requests * 4, body }) };
    await app.close();
  } finally {
    // our temporary folder: the checkpoint saved in it, then the folder (empty by then)
    removeCheckpointDir(path.join(dir, "ttt"));
    removeCheckpointDir(dir);
  }
  return {
    note: `clients and server in one process on ${os.cpus().length} cores (load average ${os.loadavg()[0].toFixed(1)} at the end)`,
    gpt2: { model: `GPT2_TINY (${GPT2_TINY.nLayer} layers, ${GPT2_TINY.nEmbd} wide, random weights)`, maxTokens, clients: CLIENTS, requestsPerClient: requests, byWindow },
    ticTacToe,
  };
}
