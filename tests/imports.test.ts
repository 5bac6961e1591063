/**
 * Imports have no side effects a user would notice: every public module loads on its own (in a
 * fresh module cache) and works alone, and none switches the TensorFlow.js backend a user chose.
 * Run in a child process with the package's own loader, as the CLI, `tsrl run` and the kernel load it.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");

function node(script: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["-r", path.join(root, "lib/node/register-ts.cjs"), "-e", script], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("imports", () => {
  it("importing tsrl (or any lib module) never switches the backend a user chose", () => {
    const r = node(`
      (async () => {
        const tf = require("@tensorflow/tfjs");
        require("@tensorflow/tfjs-backend-wasm");
        await tf.setBackend("wasm");
        require("tsrl");
        require("tsrl/nn/backend");
        await new Promise((r) => setTimeout(r, 50));       // the old import switched back to cpu a tick later
        const afterImport = tf.getBackend();
        await tf.setBackend("cpu");                          // the user changes their mind
        const { createReinforceAgent, backendInfo } = require("tsrl");
        const agent = await createReinforceAgent({ maxEpisodes: 8, targetReturn: 0, evalThreshold: 0 });
        await agent.train();
        console.log(JSON.stringify({ afterImport, afterAgent: tf.getBackend(), info: backendInfo() }));
      })().catch((e) => { console.error(e); process.exit(1); });
    `);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(out.afterImport).toBe("wasm");
    expect(out.afterAgent).toBe("cpu");
    expect(out.info).toEqual({ name: "cpu", reason: "chosen with tf.setBackend", threads: 1 });
  });

  it("every lib module loads alone, and the algorithm and env modules work alone", () => {
    const r = node(`
      const fs = require("node:fs"), path = require("node:path");
      const lib = path.join(process.cwd(), "lib");
      const files = [];
      // Not Node modules of the library: a folder with its own tsconfig.json is browser code (the playground's
      // page, served transpiled as ES modules), and a worker thread's entry (it reads parentPort) runs only
      // inside new Worker(...) — tests/playground-api.test.ts starts that one.
      const own = (d) => fs.existsSync(path.join(d, "tsconfig.json"));
      const workerEntry = (p) => { const src = fs.readFileSync(p, "utf8"); return src.includes("parentPort") && src.includes("runs as a worker thread"); };
      const walk = (d) => { for (const f of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, f.name);
        if (f.isDirectory()) { if (!own(p)) walk(p); } else if (p.endsWith(".ts") && !p.endsWith(".d.ts") && !workerEntry(p)) files.push(p); } };
      walk(lib);
      const fresh = () => {
        for (const k of Object.keys(require.cache)) if (k.startsWith(lib)) delete require.cache[k];
        delete globalThis[Symbol.for("tsrl.envSpecs")];
      };
      const failed = [];
      for (const f of files) { fresh(); try { require(f); } catch (e) { failed.push(path.relative(lib, f) + ": " + e.message.split("\\n")[0]); } }
      fresh();
      const { makeEnv } = require("tsrl/envs/registry");        // the envs registry alone knows the built-in envs
      const steps = makeEnv("CartPole-v1").reset({ seed: 0 }).obs.length;
      fresh();
      const { createReinforceAgent } = require("tsrl/algos/reinforce");
      createReinforceAgent({ maxEpisodes: 8, targetReturn: 0, evalThreshold: 0 }).then((a) => a.train()).then((res) => {
        console.log(JSON.stringify({ modules: files.length, failed, steps, episodes: res.episodes }));
      }).catch((e) => { console.error(e); process.exit(1); });
    `);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(out.modules).toBeGreaterThan(40);
    expect(out.failed).toEqual([]);
    expect(out.steps).toBe(4);
    expect(out.episodes).toBe(8);
  });
});
