// The copy probe of OrderDesk's starting model (lib/lm/order-desk-probe): an expert that copies
// scores 1, an agent that always looks up one number scores 0, and a model's greedy completions go
// through the same scoring.
import { beforeAll, describe, expect, it } from "vitest";
import { datasetsDir } from "../lib/data/paths";
import { createRng } from "../lib/core/rng";
import type { Message } from "../lib/envs/conversation/messages";
import { readOrderDeskTasks } from "../lib/envs/order-desk/tasks";
import { answerText } from "../lib/envs/order-desk/transcripts";
import { afterRightLookup, copyProbe, scoreCopyProbe } from "../lib/lm/order-desk-probe";
import { initBackend } from "../lib/nn/backend";
import { createGpt2 } from "../lib/nn/gpt2/model";

const tasks = readOrderDeskTasks(datasetsDir("order-desk", "heldout.jsonl")).slice(0, 20);
const byOpening = new Map(tasks.map((t) => [t.opening, t]));
const taskOf = (m: readonly Message[]) => byOpening.get(m[0].content)!;

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe("OrderDesk copy probe", () => {
  it("the expert (copies the number and the facts) scores 1; no-id tasks are left out", () => {
    const rng = createRng(1);
    const expert = (convs: readonly Message[][]) => convs.map((m) => {
      const t = taskOf(m);
      return m.length === 1 ? `<call>lookup order ${t.order.id}</call>` : answerText(rng, t.asks, t.order, t.order.id);
    });
    const r = scoreCopyProbe(tasks, expert);
    expect(r.tasks).toBe(tasks.filter((t) => t.kind !== "no-id").length);
    expect(r.tasks).toBeLessThan(tasks.length);
    expect(r).toMatchObject({ lookup: 1, answer: 1, answerId: 1 });
  });

  it("an agent that looks up one fixed number and answers with it scores 0 (the failure it detects)", () => {
    const fixed = (convs: readonly Message[][]) => convs.map((m) => (m.length === 1 ? "<call>lookup order 1379</call>" : "Your order 1379 has shipped."));
    const r = scoreCopyProbe(tasks.filter((t) => t.order.id !== "1379"), fixed);
    expect(r).toMatchObject({ lookup: 0, answer: 0, answerId: 0 });
  });

  it("the answer probe's conversation ends with the tool's real result", () => {
    const m = afterRightLookup(tasks[0]);
    expect(m.map((x) => x.role)).toEqual(["user", "assistant", "tool"]);
    expect(m[2].content.startsWith(`order ${tasks[0].order.id}:`)).toBe(true);
  });

  it("runs a model's greedy completions through the same scoring", () => {
    const model = createGpt2({ nLayer: 1, nHead: 2, nEmbd: 16, nPositions: 128 }, createRng(2));
    const r = copyProbe(model, tasks.slice(0, 5));
    expect(r.tasks).toBe(4);
    for (const k of ["lookup", "answer", "answerId"] as const) expect(r[k]).toBeGreaterThanOrEqual(0);
    expect(typeof r.example.lookup).toBe("string");
    model.dispose();
  });
});
