// OrderDesk's starting model (lib/lm/order-desk-pretrain): the copy drill draws only from the
// training pool (no held-out id, name or item), its first-exchange form is the opening and the
// expert's first message, the mixed corpus holds the asked share of drill tokens, and the two-phase
// pretraining numbers its steps across both phases and saves one model.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { datasetsDir } from "../lib/data/paths";
import { generateOrderDeskData, orderDeskCatalog } from "../lib/envs/order-desk/data";
import { readOrderDeskTasks } from "../lib/envs/order-desk/tasks";
import { copyDrillTexts, loadOrPretrainOrderDesk, mixDrill, pretrainOrderDesk } from "../lib/lm/order-desk-pretrain";
import { readPretrainInfo } from "../lib/lm/pretrain";
import { initBackend } from "../lib/nn/backend";
import { loadGpt2Tokenizer } from "../lib/nn/gpt2/tokenizer";

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe("OrderDesk pretraining: the copy drill", () => {
  it("the catalog behind the drill is the datasets' own split", () => {
    const small = generateOrderDeskData(undefined, { train: 5, heldout: 5, transcripts: 5, transcriptsHeldout: 5 });
    expect(orderDeskCatalog()).toEqual(small.catalog);
    const heldout = readOrderDeskTasks(datasetsDir("order-desk", "heldout.jsonl"));
    const heldIds = new Set(orderDeskCatalog().heldout.ids.map(String));
    expect(heldout.every((t) => heldIds.has(t.order.id))).toBe(true);
  });

  it("drill texts hold no held-out order id, customer name or item", () => {
    const held = orderDeskCatalog().heldout, trainIds = new Set(orderDeskCatalog().train.ids.map(String));
    const texts = [...copyDrillTexts(400, 3, "whole"), ...copyDrillTexts(400, 4, "first")];
    const heldIds = new Set(held.ids.map(String));
    const heldName = new RegExp(`\\b(?:${held.names.join("|")})\\b`), heldItem = new RegExp(`\\b(?:${held.items.join("|")})\\b`);
    expect("Hi, I am " + held.names[0]).toMatch(heldName); // the patterns can match
    expect(`${held.items[0]} x2`).toMatch(heldItem);
    let ids = 0;
    for (const t of texts) {
      for (const m of t.matchAll(/\b\d{4}\b/g)) {
        ids++;
        expect(heldIds.has(m[0]), `${m[0]} in ${JSON.stringify(t)}`).toBe(false);
        expect(trainIds.has(m[0]) || /mistyp/.test(t)).toBe(true);
      }
      expect(t.match(heldName), JSON.stringify(t)).toBeNull();
      expect(t.match(heldItem), JSON.stringify(t)).toBeNull();
    }
    expect(ids).toBeGreaterThan(700); // the check saw the numbers
  });

  it("the first exchange: the customer's opening, then the expert's first message (the call with the customer's number, or a question for it)", () => {
    const texts = copyDrillTexts(50, 5, "first");
    let calls = 0;
    for (const t of texts) {
      const lines = t.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^Customer: /);
      expect(lines[1]).toMatch(/^Agent: /);
      const asked = lines[0].match(/\b(\d{4})\b/);
      if (asked) {
        expect(lines[1]).toBe(`Agent: <call>lookup order ${asked[1]}</call>`);
        calls++;
      } else expect(lines[1]).not.toMatch(/<call>/);
    }
    expect(calls).toBe(40); // four kinds in five give the number
    expect(copyDrillTexts(50, 5, "first")).toEqual(texts); // seeded
  });

  it("mixDrill: every text kept, drill tokens the asked share, seeded", () => {
    const tok = loadGpt2Tokenizer();
    const base = copyDrillTexts(300, 9, "whole").map((t) => t.replace("Customer:", "Customer (base):"));
    const mixed = mixDrill(base, 0.4, 2, tok);
    const count = (xs: readonly string[]) => xs.reduce((a, t) => a + tok.encode(t).length + 1, 0);
    const drill = mixed.filter((t) => !t.startsWith("Customer (base):"));
    expect(mixed.filter((t) => t.startsWith("Customer (base):")).sort()).toEqual([...base].sort());
    expect(count(drill) / count(mixed)).toBeCloseTo(0.4, 2);
    expect(drill.some((t) => t.includes("\nTool: ")) && drill.some((t) => !t.includes("\nTool: "))).toBe(true); // whole conversations and first exchanges
    expect(mixDrill(base, 0.4, 2, tok)).toEqual(mixed);
    expect(mixDrill(base, 0, 2, tok).length).toBe(base.length);
    expect(() => mixDrill(base, 1, 2, tok)).toThrow(/drillShare must be in \[0, 1\), got 1/);
  });

  it("two phases: steps numbered across both, one model saved with the drill settings in pretrain.json", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-od-pretrain-"));
    const out = path.join(dir, "model");
    const steps: string[] = [];
    const r = await loadOrPretrainOrderDesk(out, {
      config: { nLayer: 1, nHead: 2, nEmbd: 16, nPositions: 64 }, drillSteps: 3, drillShare: 0.2, steps: 2, batchSize: 2, seqLen: 32, evalEvery: 0,
      corpus: copyDrillTexts(40, 1, "whole"), heldout: copyDrillTexts(5, 2, "whole"),
      onProgress: (p) => steps.push(`${p.step}/${p.steps}`),
    });
    expect(r.loaded).toBe(false);
    expect(r.history!.map((h) => h.step)).toEqual([1, 2, 3, 4, 5]);
    expect(steps).toEqual(["1/5", "2/5", "3/5", "4/5", "5/5"]); // progress through both phases
    const info = readPretrainInfo(out)!;
    expect(info.options).toMatchObject({ drillSteps: 3, drillShare: 0.2, steps: 5, documentMask: true });
    expect(info.steps).toBe(5);
    r.model.dispose();
    const again = await loadOrPretrainOrderDesk(out);
    expect(again.loaded).toBe(true);
    again.model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a bad drill setting is refused before any training, naming it", async () => {
    const steps: number[] = [];
    const small = { config: { nLayer: 1, nHead: 2, nEmbd: 16, nPositions: 64 }, drillSteps: 3, steps: 2, batchSize: 2, seqLen: 32, evalEvery: 0, corpus: ["a b c"], heldout: [], onProgress: (p: { step: number }) => steps.push(p.step) };
    await expect(pretrainOrderDesk({ ...small, drillShare: 1 })).rejects.toThrow(/drillShare must be in \[0, 1\), got 1/);
    await expect(pretrainOrderDesk({ ...small, drillUntil: 0 })).rejects.toThrow(/drillUntil must be in \(0, 1\], got 0/);
    expect(steps).toEqual([]);
  });
});
