/**
 * OrderDesk-v0 and the conversation machinery it stands on: the strict tool-call parser, the
 * episode protocol (turns, rewards, termination vs truncation), scoring answers by their facts, the
 * seeded datasets (byte-identical, held-out disjoint), the scripted transcripts, episode rewards.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import { datasetsDir } from "../lib/data/paths";
import { makeConversationEnv, registeredConversationEnvs } from "../lib/envs/conversation/env";
import { encodeConversation, renderConversation, type Message } from "../lib/envs/conversation/messages";
import { combineEpisodeRewards, composeEpisodeRewards, episodeReturn, textEpisodeReward, type EpisodeRecord } from "../lib/envs/conversation/rewards";
import { parseToolCall } from "../lib/envs/conversation/tool-call";
import {
  BEHAVIOURS, COLOURS, DEFAULT_ORDER_DESK_REWARDS, FIRST_NAMES, LOOKUP_TOOL, ORDER_DESK_CHAT, ORDER_DESK_FILES, ORDER_DESK_ID, SURNAMES, THINGS,
  answerText, extractFacts, formatOrderDeskData, formatOrderRecord, generateOrderDeskData, judgeAnswer, makeOrderDesk, orderDeskRewardParts,
  generateTasks, generateTranscripts, parseOrderDeskTasks, parseTranscripts, readOrderDeskTasks, readTranscripts, summarizeOrderDesk,
  type OrderDeskTask,
} from "../lib/envs/order-desk";
import { main as generateMain } from "../lib/envs/order-desk/generate";
import { ruleReward } from "../lib/lm/rule-rewards";
import { loadGpt2Tokenizer } from "../lib/nn/gpt2/tokenizer";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-order-desk-"));

const TASK: OrderDeskTask = {
  id: "t1", kind: "delivery", asks: "delivery", opening: "Hi, I'm Maya Chen. When will order 4471 arrive?",
  order: { id: "4471", customer: "Maya Chen", status: "shipped", date: "May 14", items: [{ name: "red lamp", qty: 2 }, { name: "blue kettle", qty: 1 }] },
};
const NO_ID: OrderDeskTask = { ...TASK, id: "t2", kind: "no-id", asks: "status", opening: "Hi, I'm Maya Chen. Where is my order?" };

/** Plays `texts` as the agent's turns; returns every step's result. */
function play(task: OrderDeskTask, texts: string[], maxTurns?: number) {
  const env = makeOrderDesk({ tasks: [task], maxTurns });
  env.reset({ seed: 1, options: { task } });
  return { env, steps: texts.map((t) => env.step(t)) };
}

describe("tool calls in plain text, parsed strictly", () => {
  const tools = [LOOKUP_TOOL];
  it("accepts exactly <call>lookup order DDDD</call> (whitespace around it aside)", () => {
    expect(parseToolCall("<call>lookup order 4471</call>", tools)).toEqual({ kind: "call", tool: "lookup", argument: "order 4471" });
    expect(parseToolCall("  <call>lookup order 0042</call> ", tools)).toEqual({ kind: "call", tool: "lookup", argument: "order 0042" });
    expect(parseToolCall("Your order 4471 has shipped.", tools)).toEqual({ kind: "message" });
  });

  it("names what is wrong with each malformed call", () => {
    const cases: [string, RegExp][] = [
      ["<call>lookup order 4471", /not closed/],
      ["lookup order 4471</call>", /<\/call> without <call>/],
      ["<call>find order 4471</call>", /unknown tool "find" \(tools: lookup\)/],
      ["<call>lookup 4471</call>", /lookup needs an order: "order" and its 4-digit number, got "4471"/],
      ["<call>lookup order 447</call>", /got "order 447"/],
      ["<call>lookup</call>", /lookup needs an order: "order" and its 4-digit number$/],
      ["<call></call>", /empty/],
      ["Let me check. <call>lookup order 4471</call>", /whole message/],
      ["<call>lookup order 4471</call> thanks", /whole message/],
      ["<call>lookup order 4471</call><call>lookup order 4471</call>", /one call per message/],
      ["<call>lookup  order 4471</call>", /got " order 4471"/],
      ["<call>lookup order 4471 now</call>", /got "order 4471 now"/],
      ["< call>lookup order 4471</ call>", /must start with exactly <call>/],
    ];
    for (const [text, error] of cases) {
      const p = parseToolCall(text, tools);
      expect(p.kind, text).toBe("malformed");
      expect((p as { error: string }).error, text).toMatch(error);
    }
  });

  it("never throws, whatever the text", () => {
    const rng = createRng(3);
    const alphabet = ["<", ">", "/", "call", "lookup", " ", "4471", "x", "\n", "é", "<call>", "</call>"];
    for (let k = 0; k < 2000; k++) {
      const text = Array.from({ length: rng.int(8) }, () => alphabet[rng.int(alphabet.length)]).join("");
      expect(() => parseToolCall(text, tools)).not.toThrow();
    }
  });
});

describe("OrderDesk-v0 episodes", () => {
  it("is registered: makeConversationEnv makes it, an unknown id lists the registered ones", () => {
    expect(registeredConversationEnvs()).toContain(ORDER_DESK_ID);
    const env = makeConversationEnv(ORDER_DESK_ID, { tasks: [TASK] });
    expect(env.reset({ seed: 0 }).messages).toEqual([{ role: "user", content: TASK.opening }]);
    expect(() => makeConversationEnv("OrderDesk-v9")).toThrow(/unknown conversation environment 'OrderDesk-v9'; registered: .*OrderDesk-v0/);
  });

  it("an expert episode: look up, read, answer — terminated, success, return 1 − 2·turnCost", () => {
    const { env, steps } = play(TASK, ["<call>lookup order 4471</call>", "It should arrive on May 14th."]);
    expect(steps[0].messages).toEqual([{ role: "tool", content: "order 4471: Maya Chen; shipped; arrives May 14; red lamp x2, blue kettle x1" }]);
    expect(steps[0]).toMatchObject({ terminated: false, truncated: false, reward: -0.05 });
    expect(steps[1]).toMatchObject({ terminated: true, truncated: false, messages: [] });
    expect(steps[1].info).toMatchObject({ success: true, correct: true, grounded: true, turns: 2, calls: 1, validCalls: 1, invalidCalls: 0, answered: true });
    expect(steps.reduce((a, s) => a + s.reward, 0)).toBeCloseTo(0.9, 12);
    expect(env.transcript.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(() => env.step("again")).toThrow(/after the episode ended; call reset/);
  });

  it("a guess ends the episode unrewarded, even a right one: the answer is not grounded", () => {
    const { steps } = play(TASK, ["It arrives on May 14."]);
    expect(steps[0].terminated).toBe(true);
    expect(steps[0].info).toMatchObject({ success: false, correct: true, grounded: false });
    expect(steps[0].reward).toBeCloseTo(-0.05, 12);
  });

  it("a malformed call is answered with an error and a penalty, and the episode goes on", () => {
    const { steps } = play(TASK, ["<call>lookup 4471</call>", "<call>lookup order 4471</call>", "May 14."]);
    expect(steps[0].messages[0].role).toBe("tool");
    expect(steps[0].messages[0].content).toMatch(/^error: lookup needs an order: "order" and its 4-digit number, got "4471"$/);
    expect(steps[0].reward).toBeCloseTo(-0.25, 12);
    expect(steps[0].terminated || steps[0].truncated).toBe(false);
    expect(steps[2].info).toMatchObject({ success: true, calls: 2, validCalls: 1, invalidCalls: 1, turns: 3 });
  });

  it("an unknown order id is a valid call with an error result", () => {
    const { steps } = play(TASK, ["<call>lookup order 4417</call>"]);
    expect(steps[0].messages).toEqual([{ role: "tool", content: "error: no order 4417" }]);
    expect(steps[0].info).toMatchObject({ validCalls: 1, invalidCalls: 0, lookedUp: false });
  });

  it("without an order number the agent asks the customer, who answers; asking again gets a repeat", () => {
    const { steps } = play(NO_ID, ["Could you tell me your order number?", "What is the order id?", "<call>lookup order 4471</call>", "It has shipped."]);
    expect(steps[0].messages).toHaveLength(1);
    expect(steps[0].messages[0].role).toBe("user");
    expect(steps[0].messages[0].content).toContain("4471");
    expect(steps[1].messages[0].content).toBe("As I said, it is order 4471.");
    expect(steps[3].info).toMatchObject({ success: true, turns: 4 });
  });

  it("truncates (not terminates) after maxTurns turns without an answer", () => {
    const { steps } = play(TASK, ["<call>lookup order 4471</call>", "<call>lookup order 4471</call>"], 2);
    expect(steps[1]).toMatchObject({ terminated: false, truncated: true, messages: [] });
    expect(steps[1].info).toMatchObject({ answered: false, success: false });
  });

  it("options are checked, naming the field", () => {
    expect(() => makeOrderDesk({ maxTurns: 0 })).toThrow(/options\.maxTurns must be a positive integer/);
    expect(() => makeOrderDesk({ rewards: { turnCost: Number.NaN } })).toThrow(/rewards\.turnCost must be a finite number/);
    expect(() => makeOrderDesk({ rewards: { bonus: 1 } as never })).toThrow(/unknown reward term rewards\.bonus/);
    const env = makeOrderDesk({ tasks: [TASK] });
    expect(() => env.step("hi")).toThrow(/before reset/);
    expect(() => env.reset({ options: { taskIndex: 3 } })).toThrow(/options\.taskIndex must be an integer in \[0, 1\), got 3/);
    expect(() => env.reset({ options: { task: { ...TASK, order: { ...TASK.order, id: "44" } } } })).toThrow(/field "order\.id" must be a 4-digit string, got "44"/);
    expect(() => makeOrderDesk({ split: "test" as never }).reset()).toThrow(/options\.split must be one of train, heldout/);
  });

  it("draws tasks with its seed: same seed, same task", () => {
    const env = makeOrderDesk({ split: "heldout" });
    const a = env.reset({ seed: 5 }).messages[0].content, b = env.reset({ seed: 5 }).messages[0].content;
    expect(a).toBe(b);
    expect(new Set(Array.from({ length: 20 }, (_, s) => env.reset({ seed: s }).messages[0].content)).size).toBeGreaterThan(10);
  });
});

describe("answers are judged by their facts", () => {
  const items: OrderDeskTask = { ...TASK, kind: "items", asks: "items" };
  const count: OrderDeskTask = { ...TASK, kind: "count", asks: "count" };
  const status: OrderDeskTask = { ...TASK, kind: "status", asks: "status" };

  it("reads facts in their common wordings", () => {
    expect(extractFacts("Hi Maya! Your order 4471 is on its way and should arrive on the 14th of May.")).toMatchObject({ ids: ["4471"], statuses: ["shipped"], dates: ["May 14"] });
    expect(extractFacts("It has not shipped yet.").statuses).toEqual(["processing"]);
    expect(extractFacts("It will be delivered on June 2.")).toMatchObject({ statuses: [], dates: ["June 2"] });
    expect(extractFacts("2 red lamps and one blue kettle, 3 items in all").items).toEqual([{ name: "red lamp", qty: 2 }, { name: "blue kettle", qty: 1 }]);
    expect(extractFacts("2 red lamps and one blue kettle, 3 items in all").numbers).toEqual([3]);
    expect(extractFacts("red lamp x2, blue kettle (x1)").items).toEqual([{ name: "red lamp", qty: 2 }, { name: "blue kettle", qty: 1 }]);
  });

  it("is lenient on wording", () => {
    for (const a of ["It should arrive on May 14th.", "May 14", "Hello! Order 4471 has shipped and arrives 14 May. Thanks for waiting.", "Your order will be delivered on May 14."]) {
      expect(judgeAnswer(TASK, a).correct, a).toBe(true);
    }
    for (const a of ["Order 4471 has red lamp x2 and blue kettle x1.", "You ordered two red lamps and a blue kettle.", "BLUE KETTLE and Red Lamps"]) expect(judgeAnswer(items, a).correct, a).toBe(true);
    for (const a of ["Order 4471 has 3 items.", "three items", "There are 3 items in order 4471."]) expect(judgeAnswer(count, a).correct, a).toBe(true);
    for (const a of ["It has shipped.", "Your order is on its way!", "in transit"]) expect(judgeAnswer(status, a).correct, a).toBe(true);
  });

  it("is strict on facts: a missing or a false fact fails", () => {
    const cases: [OrderDeskTask, string, RegExp][] = [
      [TASK, "It arrives on May 15.", /date May 15/],
      [TASK, "It arrives soon.", /missing: date May 14/],
      [TASK, "Order 4471 was delivered on May 14.", /status delivered/],
      [TASK, "Order 4417 arrives on May 14.", /order id 4417/],
      [items, "Order 4471 has red lamp x2.", /missing: item blue kettle/],
      [items, "red lamp x2, blue kettle x1 and green mug x1", /item green mug/],
      [items, "red lamp x3 and blue kettle x1", /quantity 3 of red lamp/],
      [count, "Order 4471 has 2 items.", /number 2/],
      [status, "It is processing.", /status processing/],
      [status, "It has shipped or been delivered.", /status delivered/],
      [status, "It arrives on May 14, it has shipped, 4 items.", /number 4/],
    ];
    for (const [task, answer, problem] of cases) {
      const j = judgeAnswer(task, answer);
      expect(j.correct, answer).toBe(false);
      expect(`missing: ${j.missing.join(", ")}; wrong: ${j.wrong.join(", ")}`, answer).toMatch(problem);
    }
  });

  it("the expert's own answers to every generated task are correct", () => {
    const d = generateOrderDeskData(3, { train: 200, heldout: 50, transcripts: 0, transcriptsHeldout: 0 });
    const rng = createRng(1);
    for (const t of [...d.train, ...d.heldout]) expect(judgeAnswer(t, answerText(rng, t.asks, t.order, t.order.id)).correct, JSON.stringify(t)).toBe(true);
  });
});

describe("datasets/order-desk", () => {
  const small = { train: 60, heldout: 30, transcripts: 100, transcriptsHeldout: 20 };

  it("the committed files are the generator's output (seed 18, default sizes), byte for byte", () => {
    const files = formatOrderDeskData(generateOrderDeskData());
    for (const [key, name] of Object.entries(ORDER_DESK_FILES)) {
      expect(fs.readFileSync(datasetsDir("order-desk", name), "utf8") === files[key as keyof typeof files], name).toBe(true);
    }
  });

  it("the script writes the same bytes for the same seed, other bytes for another", () => {
    const dir = tmp(), other = tmp();
    const args = (d: string, seed: number) => ["--out", d, "--seed", String(seed), "--train", "60", "--heldout", "30", "--transcripts", "100", "--transcriptsHeldout", "20"];
    expect(generateMain(args(dir, 5))).toBe(0);
    expect(generateMain(args(other, 6))).toBe(0);
    const files = formatOrderDeskData(generateOrderDeskData(5, small));
    for (const [key, name] of Object.entries(ORDER_DESK_FILES)) {
      expect(fs.readFileSync(path.join(dir, name), "utf8")).toBe(files[key as keyof typeof files]);
      expect(fs.readFileSync(path.join(other, name), "utf8")).not.toBe(files[key as keyof typeof files]);
    }
    expect(() => generateMain(["--out", dir, "--seed", "x"])).toThrow(/--seed must be an integer/);
    expect(() => generateMain(["--out", dir, "--tasks", "3"])).toThrow(/unknown flag "--tasks"/);
  });

  it("held-out tasks share no order id, customer name or item with training tasks or transcripts", () => {
    const train = readOrderDeskTasks(datasetsDir("order-desk", "train.jsonl"));
    const heldout = readOrderDeskTasks(datasetsDir("order-desk", "heldout.jsonl"));
    const transcripts = readTranscripts(datasetsDir("order-desk", "transcripts.jsonl"));
    const seen = { ids: new Set<string>(), names: new Set<string>(), items: new Set<string>() };
    for (const t of train) {
      seen.ids.add(t.order.id);
      seen.names.add(t.order.customer);
      t.order.items.forEach((it) => seen.items.add(it.name));
    }
    // every order a training transcript mentions (its tool results), and every number it writes
    const text = transcripts.map((t) => t.messages.map((m) => m.content).join("\n")).join("\n");
    for (const m of text.matchAll(/order (\d{4}): ([A-Z][a-z]+ [A-Z][a-z]+);[^;]*;(?: arrives [A-Za-z]+ \d+;)? (.*)/g)) {
      seen.ids.add(m[1]);
      seen.names.add(m[2]);
      for (const it of m[3].split(", ")) seen.items.add(it.replace(/ x\d+$/, ""));
    }
    for (const id of text.match(/\b\d{4}\b/g) ?? []) seen.ids.add(id);
    expect(seen.items.size).toBeGreaterThan(200);
    for (const t of heldout) {
      expect(seen.ids.has(t.order.id), t.order.id).toBe(false);
      expect(seen.names.has(t.order.customer), t.order.customer).toBe(false);
      for (const it of t.order.items) expect(seen.items.has(it.name), it.name).toBe(false);
    }
    // order ids are the numbers GPT-2 writes as two 2-digit tokens (" 44" + "71")
    const tok = loadGpt2Tokenizer();
    for (const t of [...train.slice(0, 200), ...heldout]) expect(tok.encode(` ${t.order.id}`).map((x) => tok.decode([x]).trim().length), t.order.id).toEqual([2, 2]);
    // … while the words they are made of are all known: every first name, surname, colour and thing occurs in training
    const words = new Set(text.split(/[^A-Za-z]+/));
    for (const w of [...FIRST_NAMES, ...SURNAMES, ...COLOURS, ...THINGS]) expect(words.has(w), w).toBe(true);
  });

  it("every GPT-2 token of a held-out task's conversation occurs in the training transcripts", () => {
    const tok = loadGpt2Tokenizer();
    const trained = new Set<number>();
    for (const t of readTranscripts(datasetsDir("order-desk", "transcripts.jsonl"))) for (const id of tok.encode(renderConversation(ORDER_DESK_CHAT, t.messages))) trained.add(id);
    const rng = createRng(2);
    const unseen = new Set<string>();
    for (const t of readOrderDeskTasks(datasetsDir("order-desk", "heldout.jsonl"))) {
      const messages: Message[] = [
        { role: "user", content: t.opening }, { role: "assistant", content: `<call>lookup order ${t.order.id}</call>` },
        { role: "tool", content: formatOrderRecord(t.order) }, { role: "assistant", content: answerText(rng, t.asks, t.order, t.order.id) },
      ];
      for (const id of tok.encode(renderConversation(ORDER_DESK_CHAT, messages))) if (!trained.has(id)) unseen.add(tok.decode([id]));
    }
    expect([...unseen]).toEqual([]);
  });

  it("readers name file:line and the field of a malformed line", () => {
    const good = fs.readFileSync(datasetsDir("order-desk", "train.jsonl"), "utf8").split("\n")[0];
    expect(() => parseOrderDeskTasks(`${good}\n{"id":`, "t.jsonl")).toThrow(/^t\.jsonl:2: not valid JSON/);
    const bad = JSON.parse(good);
    bad.order.items[0].qty = 0;
    expect(() => parseOrderDeskTasks(`\n${JSON.stringify(bad)}`, "t.jsonl")).toThrow(/^t\.jsonl:2: field "order\.items\[0\]\.qty" must be a positive integer, got 0/);
    expect(() => parseOrderDeskTasks(JSON.stringify({ ...bad, kind: "refund" }), "t.jsonl")).toThrow(/t\.jsonl:1: field "kind" must be one of status, delivery, items, count, no-id, got "refund"/);
    const line = fs.readFileSync(datasetsDir("order-desk", "transcripts.jsonl"), "utf8").split("\n")[0];
    const tr = JSON.parse(line);
    tr.messages[1].role = "agent";
    expect(() => parseTranscripts(`${line}\n${line}\n${JSON.stringify(tr)}`, "x.jsonl")).toThrow(/^x\.jsonl:3: field "messages"\[1\]\.role must be one of user, assistant, tool, got "agent"/);
    expect(() => readOrderDeskTasks(path.join(tmp(), "none.jsonl"))).toThrow(/does not exist/);
  });
});

describe("scripted transcripts for pretraining", () => {
  it("each behaviour has its outcome, and replaying a transcript's agent turns through the env reproduces it", () => {
    const d = generateOrderDeskData(4, { train: 0, heldout: 0, transcripts: 0, transcriptsHeldout: 0 });
    const rng = createRng(4);
    const tasks = generateTasks(rng, d.catalog.train, 400, "x");
    const transcripts = generateTranscripts(rng, tasks, d.catalog.train);
    const expected = { expert: true, guess: false, "malformed-call": true, "wrong-fact": false, "extra-turn": true };
    for (const t of transcripts) expect(t.success, `${t.behaviour}: ${JSON.stringify(t.messages)}`).toBe(expected[t.behaviour]);
    for (const b of BEHAVIOURS) expect(transcripts.filter((t) => t.behaviour === b).length, b).toBeGreaterThan(30);
    expect(transcripts.filter((t) => t.behaviour === "malformed-call").every((t) => t.messages.some((m) => m.role === "tool" && m.content.startsWith("error:")))).toBe(true);
    expect(transcripts.filter((t) => t.behaviour === "guess").every((t) => t.turns === 1 && t.messages.length === 2)).toBe(true);
    transcripts.forEach((t, i) => {
      const env = makeOrderDesk({ tasks: [tasks[i]] });
      env.reset({ seed: 0, options: { task: tasks[i] } });
      const agentTurns = t.messages.filter((m) => m.role === "assistant");
      let end = false;
      for (const m of agentTurns) {
        expect(end).toBe(false);
        const r = env.step(m.content);
        end = r.terminated || r.truncated;
      }
      expect(end).toBe(true);
      // the customer's wording is the env's own random draw; everything else is the same
      const norm = (ms: Message[]) => ms.map((m) => (m.role === "user" ? { role: m.role, content: m.content.replace(/^.*(\d{4})\.$/, "… $1") } : m));
      expect(norm(env.transcript)).toEqual(norm(t.messages));
    });
  });

  it("tokens built piece by piece equal the tokens of the whole text (pretraining and rollouts agree)", () => {
    const tok = loadGpt2Tokenizer();
    const ts = readTranscripts(datasetsDir("order-desk", "transcripts.jsonl")).slice(0, 1500);
    for (const t of ts) {
      const pieces = encodeConversation(ORDER_DESK_CHAT, tok, t.messages).ids;
      expect(pieces).toEqual(tok.encode(renderConversation(ORDER_DESK_CHAT, t.messages)));
    }
  });
});

describe("episode rewards", () => {
  const episode = (task: OrderDeskTask, texts: string[]): EpisodeRecord => {
    const { env, steps } = play(task, texts);
    const last = steps.at(-1)!;
    return { messages: env.transcript, turnRewards: steps.map((s) => s.reward), terminated: last.terminated, truncated: last.truncated, info: last.info };
  };
  const episodes = [
    episode(TASK, ["<call>lookup order 4471</call>", "May 14."]),
    episode(TASK, ["<call>lookup 4471</call>", "<call>lookup order 4471</call>", "Thanks for waiting, May 14."]),
    episode(TASK, ["Sorry, it arrives May 3."]),
    episode(NO_ID, ["What is your order number?", "<call>lookup order 4471</call>", "<call>lookup order 4471</call>", "<call>lookup order 4471</call>"]),
  ];

  it("the environment's parts, composed, equal each episode's return", async () => {
    const total = await combineEpisodeRewards(orderDeskRewardParts())(episodes);
    const returns = await episodeReturn(episodes);
    total.forEach((r, i) => expect(r).toBeCloseTo(returns[i], 12));
    expect(returns[0]).toBeCloseTo(1 - 2 * DEFAULT_ORDER_DESK_REWARDS.turnCost, 12);
    const composed = await composeEpisodeRewards(orderDeskRewardParts())(episodes);
    expect(composed.parts).toEqual({ success: [1, 1, 0, 0], invalidCalls: [-0, -1, -0, -0], turns: [-2, -3, -1, -4] });
  });

  it("lib/lm's rule rewards compose with them through textEpisodeReward", async () => {
    const polite = textEpisodeReward(ruleReward([{ kind: "keyword", keywords: ["thanks", "sorry"] }]));
    expect(await polite(episodes)).toEqual([0, 1, 1, 0]);
    const total = await combineEpisodeRewards([...orderDeskRewardParts(), { name: "polite", reward: polite, weight: 0.5 }])(episodes);
    expect(total[1] - total[0]).toBeCloseTo(0.5 - 0.2 - 0.05, 12);
    expect(() => combineEpisodeRewards([{ name: "a", reward: polite }, { name: "a", reward: polite }])).toThrow(/"a" is used twice/);
    await expect(combineEpisodeRewards([{ name: "bad", reward: () => [Number.NaN, 0, 0, 0] }])(episodes)).rejects.toThrow(/part "bad" gave episode 0 the value NaN/);
  });

  it("the report card counts successes, valid calls, turns, kinds and failures", () => {
    const s = summarizeOrderDesk(episodes.map((e) => e.info));
    expect(s).toMatchObject({ episodes: 4, successRate: 0.5, validCallRate: 5 / 6, meanTurns: 2.5, failures: { truncated: 1, guessed: 1, wrongFacts: 0, missingFacts: 0 } });
    expect(s.perKind.delivery).toMatchObject({ episodes: 3, successRate: 2 / 3 });
    expect(s.perKind["no-id"]).toMatchObject({ episodes: 1, successRate: 0, validCallRate: 1, meanTurns: 4 });
  });
});
