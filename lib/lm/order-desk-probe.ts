/**
 * Does OrderDesk's starting model copy? Two greedy probes on tasks that give the order number
 * (every kind but no-id), cheap enough to run during pretraining (a few seconds for 100 tasks):
 *
 *   lookup   the customer's opening, then "Agent:": does the model's first message contain
 *            `lookup order DDDD` with the customer's number?
 *   answer   the opening, the right call and the tool's real result, then "Agent:": is the model's
 *            answer correct by the environment's own judge (./scoring judgeAnswer)? `answerId`: does
 *            it at least name the right order number?
 *
 * The starting model must copy the number from the customer's message into the call and the facts
 * from the tool's result into the answer; GRPO has nothing to reinforce while both rates are 0.
 * `scoreCopyProbe` takes any completion function, so it is tested without a model; `copyProbe`
 * gives it the model's greedy completions (each message ends at its newline).
 *
 *   pretrainGpt2({ ..., onProgress: (p, model) => { if (p.step % 500 === 0) console.log(copyProbe(model, tasks)); } })
 */
import { encodeConversation, type Message } from "../envs/conversation/messages";
import { makeOrderDesk, ORDER_DESK_CHAT } from "../envs/order-desk/order-desk";
import { judgeAnswer } from "../envs/order-desk/scoring";
import type { OrderDeskTask } from "../envs/order-desk/tasks";
import { generate } from "../nn/gpt2/generate";
import type { Gpt2 } from "../nn/gpt2/model";
import { loadGpt2Tokenizer, type Gpt2Tokenizer } from "../nn/gpt2/tokenizer";

/** The agent's next message for each conversation (`maxNewTokens` at most). */
export type CompleteFn = (conversations: readonly Message[][], maxNewTokens: number) => string[];

export interface CopyProbeResult {
  /** Tasks probed (those with an order number in the opening). */
  tasks: number;
  /** Share whose first agent message looks up the customer's order number. */
  lookup: number;
  /** Share answered correctly given the right call and the tool's result. */
  answer: number;
  /** Share whose answer names the right order number. */
  answerId: number;
  /** The first task's two completions, to read. */
  example: { id: string; lookup: string; answer: string };
}

/** The conversation up to the tool's result of the right lookup (the environment's own messages). */
export function afterRightLookup(task: OrderDeskTask): Message[] {
  const env = makeOrderDesk({ tasks: [task] });
  env.reset({ seed: 1, options: { task } });
  env.step(`<call>lookup order ${task.order.id}</call>`);
  return env.transcript;
}

export function scoreCopyProbe(tasks: readonly OrderDeskTask[], complete: CompleteFn): CopyProbeResult {
  const withId = tasks.filter((t) => t.kind !== "no-id");
  if (withId.length === 0) throw new RangeError("copyProbe: no task gives an order number (all are no-id)");
  const first = complete(withId.map((t) => [{ role: "user", content: t.opening }]), 16);
  const answers = complete(withId.map(afterRightLookup), 48);
  const share = (xs: string[], ok: (s: string, t: OrderDeskTask) => boolean) => xs.filter((s, i) => ok(s, withId[i])).length / withId.length;
  return {
    tasks: withId.length,
    lookup: share(first, (s, t) => s.includes(`lookup order ${t.order.id}`)),
    answer: share(answers, (s, t) => judgeAnswer(t, s).correct),
    answerId: share(answers, (s, t) => new RegExp(`\\b${t.order.id}\\b`).test(s)),
    example: { id: withId[0].order.id, lookup: first[0], answer: answers[0] },
  };
}

/** Greedy completions of `model`, after <|endoftext|> and the chat format, each ending at its newline. */
export function greedyCompletions(model: Gpt2, tokenizer: Gpt2Tokenizer = loadGpt2Tokenizer(), batchSize = 32): CompleteFn {
  const newline = tokenizer.encode("\n");
  return (conversations, maxNewTokens) => {
    const prompts = conversations.map((m) => encodeConversation(ORDER_DESK_CHAT, tokenizer, m, { startId: tokenizer.eosId, openAgentTurn: true }).ids);
    const out: string[] = [];
    for (let i = 0; i < prompts.length; i += batchSize) {
      const g = generate(model, prompts.slice(i, i + batchSize), { maxNewTokens, greedy: true, eosId: newline[0] });
      out.push(...g.tokens.map((t) => tokenizer.decode(t).trim()));
    }
    return out;
  };
}

/** The two probes on `model`, greedy (see the module comment). */
export function copyProbe(model: Gpt2, tasks: readonly OrderDeskTask[], tokenizer?: Gpt2Tokenizer): CopyProbeResult {
  return scoreCopyProbe(tasks, greedyCompletions(model, tokenizer));
}

/** The share of `tasks` (those with an order number) whose first agent message, greedy, looks up the customer's number: the lookup probe alone. */
export function lookupProbe(model: Gpt2, tasks: readonly OrderDeskTask[], tokenizer?: Gpt2Tokenizer): number {
  const withId = tasks.filter((t) => t.kind !== "no-id");
  if (withId.length === 0) throw new RangeError("lookupProbe: no task gives an order number (all are no-id)");
  const first = greedyCompletions(model, tokenizer)(withId.map((t) => [{ role: "user", content: t.opening }]), 16);
  return first.filter((s, i) => s.includes(`lookup order ${withId[i].order.id}`)).length / withId.length;
}
