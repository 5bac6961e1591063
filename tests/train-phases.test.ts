/**
 * Interrupts honoured everywhere (issue 14 §3): for every algorithm, an interrupt fired as any phase
 * of train() begins — collection, update, evaluation, checkpoint — stops training with the same
 * AbortError ("interrupted") or, with onAbort "return", stopped "aborted"; the rows logged so far
 * are kept. An interrupt that lands during the final greedy evaluation is honoured, not turned into
 * stopped "target" — the kernel's ambient signal as well as the caller's.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { TrainPhase } from "../lib/algos/agent";
import { algorithmNames, algorithmSpec, createAgent } from "../lib/algos/registry";
import { AbortError, setAmbientSignalProvider } from "../lib/core/abort";

afterEach(() => setAmbientSignalProvider(undefined));

/** Smoke configs with an evaluation in every update or two, so every phase comes up early. */
const withEvaluations: Record<string, Record<string, unknown>> = {
  reinforce: { targetReturn: 1, targetWindow: 4, evalEpisodes: 2, evalThreshold: 1e9 },
  "actor-critic": { evalEvery: 1 },
  ppo: { evalEvery: 1 },
  grpo: { evalEvery: 1 },
};
const PHASES: TrainPhase[] = ["collect", "update", "evaluate", "checkpoint"];

describe.each(algorithmNames())("%s", (name) => {
  const config = { ...algorithmSpec(name).smokeConfig, ...withEvaluations[name], seed: 2 };

  it.each(PHASES)("an interrupt as %s begins: AbortError 'interrupted', the rows kept; onAbort 'return' says aborted", async (phase) => {
    for (const onAbort of ["throw", "return"] as const) {
      const agent = await createAgent(name, config);
      const controller = new AbortController();
      const seen: string[] = [];
      let saves = 0;
      const run = agent.train({
        signal: controller.signal,
        onAbort,
        checkpoint: { every: { updates: 1 }, save: () => void saves++ },
        onPhase: (p, update) => {
          seen.push(`${p}@${update}`);
          if (p === phase && update >= 2) controller.abort(new AbortError("interrupted"));
        },
      });
      if (onAbort === "throw") {
        const err = await run.then(() => undefined, (e: unknown) => e);
        expect(err, `${phase}: train() should have thrown`).toBeInstanceOf(Error);
        expect((err as Error).name).toBe("AbortError");
        expect((err as Error).message).toBe("interrupted");
      } else {
        const result = await run;
        expect(result.stopped).toBe("aborted");
        expect(result.updates).toBe(agent.metrics.length);
      }
      // it stopped right there: nothing after the phase that was interrupted
      const at = seen.findIndex((s) => s.startsWith(`${phase}@`) && Number(s.split("@")[1]) >= 2);
      expect(at, `${phase} never came up: ${seen.join(" ")}`).toBeGreaterThanOrEqual(0);
      expect(seen.slice(at + 1), `phases after the interrupt: ${seen.join(" ")}`).toEqual([]);
      expect(agent.metrics.length).toBeGreaterThanOrEqual(1); // the rows before it are kept
      if (phase === "checkpoint") expect(saves).toBe(1); // update 1's save; update 2's was interrupted as it began
      agent.dispose();
    }
  });
});

describe("the final greedy evaluation", () => {
  const config = { seed: 1, maxEpisodes: 400, targetReturn: 1, targetWindow: 8, evalEpisodes: 2000, evalThreshold: 1 };

  it("an interrupt that arrives while it runs ends train() as aborted, not 'target' (the caller's signal)", async () => {
    const agent = await createAgent("reinforce", config);
    const controller = new AbortController();
    // fired from the event loop, as the kernel's interrupt is: a few ms into the evaluation, not at its start
    const result = await agent.train({ signal: controller.signal, onAbort: "return", onPhase: (p) => { if (p === "evaluate") setTimeout(() => controller.abort(), 5); } });
    expect(result.stopped).toBe("aborted");
    expect(result.interruptedIn).toBe("evaluate");
    agent.dispose();
  });

  it("one that arrives after its last episode, as the goal is met, is not lost either", async () => {
    const agent = await createAgent("reinforce", { ...config, evalEpisodes: 5 });
    const controller = new AbortController();
    // the row is logged and the goal met: the interrupt lands before train() returns
    const result = await agent.train({ signal: controller.signal, onAbort: "return", onUpdate: (row) => { if (Number.isFinite((row as unknown as { evalReturn: number }).evalReturn)) controller.abort(); } });
    expect(result.stopped).toBe("aborted");
    agent.dispose();
  });

  it("the same with the kernel's ambient signal (the notebook's ■)", async () => {
    const kernel = new AbortController();
    setAmbientSignalProvider(() => kernel.signal);
    const agent = await createAgent("reinforce", config);
    const err = await agent.train({ onPhase: (p) => { if (p === "evaluate") setTimeout(() => kernel.abort(new AbortError("interrupted")), 5); } }).then(() => undefined, (e: unknown) => e);
    expect((err as Error)?.name).toBe("AbortError");
    expect((err as Error)?.message).toBe("interrupted");
    expect(agent.metrics).toHaveLength(1);
    agent.dispose();
  });
});
