/**
 * The request handlers of lib/serve, in process, on checkpoints written by the test: observations
 * checked against the env (Tic-Tac-Toe's cells, turn and game state; CartPole's finite numbers),
 * masks against the board, NaN outputs named, edit bounds, and GPT-2 prompts cut before tokenising
 * (the tail's tokens equal the full tokenisation's).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoadedPolicy } from "../lib/algos/checkpoint";
import { loadPolicy } from "../lib/algos/registry";
import { createRng } from "../lib/core/rng";
import { checkTicTacToeObservation } from "../lib/envs/tictactoe/rules";
import { createGpt2, gpt2FromWeights, loadGpt2Tokenizer, type Gpt2 } from "../lib/nn/gpt2";
import { encodeTail } from "../lib/nn/gpt2/prompt-tail";
import { createActHandler } from "../lib/serve/act";
import { createCompletionHandler } from "../lib/serve/completion";
import { createEditHandler } from "../lib/serve/edit";
import type { RequestHandler } from "../lib/serve/request";
import { SERVE_GPT2, useServeFixtures } from "./serve-fixtures";

const fixtures = useServeFixtures("handlers");

/** The handler's answer, or the message of what it threw (prefixed by the error's class). */
async function ask(handle: RequestHandler, request: unknown): Promise<Record<string, unknown> | string> {
  try {
    return await handle(request);
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

const EMPTY = [0, 0, 0, 0, 0, 0, 0, 0, 0];

describe("act on TicTacToe-v0", () => {
  let handle: RequestHandler;
  beforeAll(() => {
    handle = createActHandler(loadPolicy(fixtures.fx.ticTacToe), createRng(0));
  });

  it("refuses cells that are not board values, naming the cell", async () => {
    expect(await ask(handle, { obs: [1e30, 0, 0, 0, 0, 0, 0, 0, 0] })).toBe("RequestError: obs is not a TicTacToe-v0 observation: cell 0 is 1e+30; a cell is 1 (the agent's mark), -1 (the opponent's) or 0 (empty)");
    expect(await ask(handle, { obs: [0, 0, 0, -7, 0, 0, 0, 0, 0] })).toMatch(/cell 3 is -7;/);
    expect(await ask(handle, { obs: [0, 0.5, 0, 0, 0, 0, 0, 0, 0] })).toMatch(/cell 1 is 0.5;/);
    expect(await ask(handle, { obs: [0, 0, 0] })).toBe("RequestError: obs must be an array of 9 finite numbers, got [0,0,0]");
    expect(await ask(handle, { obs: "x".repeat(1e6) })).toMatch(/^RequestError: obs must be an array of 9 finite numbers, got "x{59}…$/);
  });

  it("refuses boards the agent never sees: not its turn, or the game over", async () => {
    expect(await ask(handle, { obs: [1, 1, 0, 0, 0, 0, 0, 0, 0] })).toMatch(/the agent has 2 marks and the opponent 0/);
    expect(await ask(handle, { obs: [-1, -1, 0, 0, 0, 0, 0, 0, 0] })).toMatch(/the agent has 0 marks and the opponent 2/);
    expect(await ask(handle, { obs: [1, 1, 1, -1, -1, -1, 0, 0, 0] })).toMatch(/the game is over: the agent has three in a line/);
    expect(await ask(handle, { obs: [-1, -1, -1, 1, 1, 0, 0, 0, 0] })).toMatch(/the game is over: the opponent has three in a line/);
    expect(await ask(handle, { obs: [1, -1, 1, 1, -1, -1, -1, 1, 1] })).toMatch(/the agent has 5 marks and the opponent 4/);
    // X O X / X O O / O X X, a draw, seen by O (the agent): its turn by the counts, but no cell is free
    expect(checkTicTacToeObservation([-1, 1, -1, -1, 1, 1, 1, -1, -1])).toBe("the board is full: the game is over");
    expect(checkTicTacToeObservation([-1, 0, 0, 0, 0, 0, 0, 0, 0])).toBeUndefined(); // O to move after X's first mark
    expect(checkTicTacToeObservation([1, -1, 0, 0, 0, 0, 0, 0, 0])).toBeUndefined(); // X to move
  });

  it("refuses a mask that opens an occupied cell; without a mask only free cells are played", async () => {
    const board = [1, -1, 0, 0, 0, 0, 0, 0, 0];
    expect(await ask(handle, { obs: board, mask: [1, 1, 1, 1, 1, 1, 1, 1, 1] })).toBe("RequestError: mask allows actions 0, 1, which obs does not (legal: 2, 3, 4, 5, 6, 7, 8)");
    expect(await ask(handle, { obs: board, mask: [0, 0, 0, 0, 0, 0, 0, 0, 0] })).toBe("RequestError: mask allows no action");
    expect(await ask(handle, { obs: board, mask: [0, 0, 2, 0, 0, 0, 0, 0, 0] })).toMatch(/^RequestError: mask must be an array of 9 zeros and ones/);
    const narrowed = await ask(handle, { obs: board, mask: [0, 0, 0, 0, 0, 0, 0, 0, 1] });
    expect(narrowed).toMatchObject({ action: 8 });
    for (let i = 0; i < 20; i++) {
      const a = (await ask(handle, { obs: board, greedy: false })) as { action: number; probs: number[] };
      expect([0, 1]).not.toContain(a.action);
      expect(a.probs[0]).toBe(0);
      expect(a.probs[1]).toBe(0);
    }
  });

  it("refuses unknown fields (prototype keys included) and wrong types, naming them", async () => {
    expect(await ask(handle, JSON.parse('{"__proto__": {"obs": [0,0,0,0,0,0,0,0,0]}, "obs": [0,0,0,0,0,0,0,0,0]}'))).toBe('RequestError: unknown field "__proto__"; expected obs, mask, greedy');
    expect(await ask(handle, { obs: EMPTY, greedy: "yes" })).toBe('RequestError: greedy must be true or false, got "yes"');
    expect(await ask(handle, [EMPTY])).toMatch(/^RequestError: expected an object like/);
    expect(await ask(handle, { id: 3, obs: EMPTY })).toMatch(/unknown field "id"/); // the transport takes the id off
  });

  it("a checkpoint whose weights overflow answers with ModelOutputError, whatever the mask", async () => {
    const overflow = createActHandler(loadPolicy(fixtures.fx.overflow), createRng(0));
    expect(await ask(overflow, { obs: EMPTY })).toMatch(/^ModelOutputError: the policy's output is not a number/);
    expect(await ask(overflow, { obs: EMPTY, mask: [0, 0, 0, 0, 1, 0, 0, 0, 0] })).toMatch(/^ModelOutputError/);
    const nanPolicy: Pick<LoadedPolicy, "envId" | "act" | "probs"> = { envId: "TicTacToe-v0", act: () => 0, probs: () => new Float32Array(9).fill(NaN) };
    expect(await ask(createActHandler(nanPolicy, createRng(0)), { obs: EMPTY })).toMatch(/^ModelOutputError/);
  });
});

describe("act on CartPole-v1", () => {
  it("takes finite numbers of the right length", async () => {
    const handle = createActHandler(loadPolicy(fixtures.fx.cartPole), createRng(0));
    expect(await ask(handle, { obs: [0.01, -0.02, 0.03, 0.04] })).toMatchObject({ action: expect.any(Number) });
    expect(await ask(handle, { obs: [0, 0, 0] })).toBe("RequestError: obs must be an array of 4 finite numbers, got [0,0,0]");
    expect(await ask(handle, { obs: [0, 0, 0, Infinity] })).toBe("RequestError: obs must be an array of 4 finite numbers, got [0,0,0,Infinity]");
    expect(await ask(handle, { obs: [0, 0, 0, "1"] })).toMatch(/^RequestError: obs must be an array of 4 finite numbers/);
    expect(await ask(handle, { obs: [0, 0, 0, 0], mask: [1, 1] })).toMatchObject({ action: expect.any(Number) });
  });
});

describe("edit", () => {
  it("bounds the instruction and text, and names missing fields", async () => {
    const handle = createEditHandler(loadPolicy(fixtures.fx.edit));
    expect(await ask(handle, { instruction: "Delete the word cat.", text: "the cat sat" })).toMatchObject({ text: expect.any(String), stopped: expect.any(Boolean) });
    expect(await ask(handle, { instruction: "x".repeat(5000), text: "a" })).toBe("RequestError: instruction has 5000 characters; at most 2000");
    expect(await ask(handle, { instruction: "x", text: "a ".repeat(40) })).toBe("RequestError: text has 80 tokens; the edit agent handles at most 40");
    expect(await ask(handle, { instruction: "x" })).toBe('RequestError: missing field "text"');
    expect(await ask(handle, { instruction: "x", text: "" })).toBe('RequestError: text must be a non-empty string, got ""');
  });
});

describe("completion", () => {
  let model: Gpt2;
  const tok = loadGpt2Tokenizer();
  const defaults = { maxNewTokens: 4, temperature: 1, topK: 0, topP: 1 };
  beforeAll(() => {
    model = createGpt2(SERVE_GPT2, createRng(3));
  });
  afterAll(() => model?.dispose());

  it("bounds every field with a message naming it", async () => {
    const handle = createCompletionHandler(model, tok, defaults, createRng(0));
    expect(await ask(handle, { prompt: "The soup was" })).toMatchObject({ tokens: expect.any(Number), completion: expect.any(String) });
    expect(await ask(handle, { prompt: "x", max_new_tokens: 64 })).toBe("RequestError: max_new_tokens must be an integer in [1, 63], got 64");
    expect(await ask(handle, { prompt: "x", max_new_tokens: 1e9 })).toBe("RequestError: max_new_tokens must be an integer in [1, 63], got 1000000000");
    expect(await ask(handle, { prompt: "x", temperature: -1 })).toBe("RequestError: temperature must be a number in [0, 100], got -1");
    expect(await ask(handle, { prompt: "x", top_k: 1e9 })).toBe("RequestError: top_k must be an integer in [0, 50257], got 1000000000");
    expect(await ask(handle, { prompt: "x", top_p: 0 })).toBe("RequestError: top_p must be a number in (0, 1], got 0");
    expect(await ask(handle, { prompt: 3 })).toBe("RequestError: prompt must be a string, got 3");
  });

  it("a model whose weights hold NaN answers with ModelOutputError, greedy or sampled", async () => {
    const weights = model.weights();
    weights["h.0.ln_1.weight"] = { ...weights["h.0.ln_1.weight"], data: new Float32Array(weights["h.0.ln_1.weight"].data.length).fill(NaN) };
    const nan = gpt2FromWeights(model.config, weights);
    try {
      const handle = createCompletionHandler(nan, tok, defaults, createRng(0));
      expect(await ask(handle, { prompt: "The soup was" })).toMatch(/^ModelOutputError: the model's output is not a number/);
      expect(await ask(handle, { prompt: "The soup was", temperature: 0 })).toMatch(/^ModelOutputError/);
      expect(await ask(handle, { prompt: "The soup was", top_k: 5 })).toMatch(/^ModelOutputError/);
    } finally {
      nan.dispose();
    }
  });

  it("tokenises only the end of a long prompt, with the same tokens as tokenising it whole", async () => {
    const rng = createRng(11);
    const pieces = ["the", " soup", " was", "  warm", ".", "\n", "\n\n", "  ", " 123", "'s", " naïve", " 😀", "\t", "<|endoftext|>", " ok!", "--", "日本"];
    for (let trial = 0; trial < 30; trial++) {
      const text = Array.from({ length: 200 + rng.int(2000) }, () => pieces[rng.int(pieces.length)]).join("");
      const k = 1 + rng.int(300);
      expect(encodeTail(tok, text, k), `trial ${trial}`).toEqual(tok.encode(text).slice(-k));
    }
    expect(encodeTail(tok, "short", 100)).toEqual(tok.encode("short"));
    expect(encodeTail(tok, "anything", 0)).toEqual([]);

    const seen: number[] = [];
    const counting = { encode: (t: string) => (seen.push(t.length), tok.encode(t)) };
    const huge = "The soup was warm and the bread was fresh. ".repeat(250_000); // 10.75 MB
    const tail = encodeTail(counting, huge, 63);
    expect(tail).toHaveLength(63);
    expect(Math.max(...seen)).toBeLessThan(2000); // what was tokenised
    const oneWord = "a".repeat(1_000_000); // no clean boundary: cut where it is
    expect(encodeTail(tok, oneWord, 63)).toHaveLength(63);
  });
});
