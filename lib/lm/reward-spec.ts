/**
 * A reward SPEC (`tsrl train grpo GPT2 --reward SPEC`, `tsrl export trl`): which reward (lib/lm) scores the completions.
 *
 *   SPEC  := PART ("+" PART)*                     the sum of the parts
 *   PART  := [WEIGHT "*"] SOURCE                  e.g. 0.5*rm:runs/rm
 *   SOURCE:= "rules:" RULE ("," RULE)*            lib/lm/rule-rewards' weighted rules
 *          | "rm:" DIR                            a Bradley–Terry reward model saved by lib/lm/reward-model
 *          | "hf:" DIR ":" LABEL                  a local Transformers.js classifier: P(LABEL)
 *   RULE  := NAME ["=" WEIGHT] [":" ARG]
 *            sentiment[=w]                        lexicon sentiment in [−1, 1]
 *            length[=w][:TARGET[/UNIT]]           −|n − TARGET|/TARGET, UNIT tokens (default) | words | chars
 *            keyword[=w]:WORD|WORD…               1 if any keyword occurs
 *            regex[=w]:PATTERN                    1 if the completion matches
 *
 *   rules:sentiment=1,length=0.2:16      rules:sentiment+0.5*rm:runs/rm
 *
 * A bad spec is a RewardSpecError naming the piece and what was expected.
 */
import { combineRewards, ruleReward, type RewardFn, type RewardRule } from "./rule-rewards";

export class RewardSpecError extends RangeError {
  constructor(spec: string, problem: string) {
    super(`--reward ${JSON.stringify(spec)}: ${problem}`);
    this.name = "RewardSpecError";
  }
}

export type RewardSource =
  | { kind: "rules"; weight: number; rules: RewardRule[] }
  | { kind: "rm"; weight: number; dir: string }
  | { kind: "hf"; weight: number; dir: string; label: string };

const RULE_NAMES = ["sentiment", "length", "keyword", "regex"];

/** Parses SPEC (see the module comment); throws RewardSpecError. */
export function parseRewardSpec(spec: string): RewardSource[] {
  const bad = (problem: string) => new RewardSpecError(spec, problem);
  if (typeof spec !== "string" || spec.trim() === "") throw bad("empty; expected e.g. rules:sentiment=1,length=0.2:16 or rm:DIR");
  return spec.split("+").map((rawPart) => {
    let part = rawPart.trim();
    let weight = 1;
    const star = /^([-+]?[0-9.eE-]+)\*(.*)$/.exec(part);
    if (star) {
      weight = Number(star[1]);
      if (!Number.isFinite(weight)) throw bad(`weight ${JSON.stringify(star[1])} is not a number`);
      part = star[2];
    }
    const colon = part.indexOf(":");
    const kind = colon < 0 ? part : part.slice(0, colon);
    const rest = colon < 0 ? "" : part.slice(colon + 1);
    if (kind === "rules") return { kind: "rules", weight, rules: parseRules(rest, bad) };
    if (kind === "rm") {
      if (!rest) throw bad("rm: needs a directory, e.g. rm:runs/reward-model");
      return { kind: "rm", weight, dir: rest };
    }
    if (kind === "hf") {
      const at = rest.lastIndexOf(":");
      if (at <= 0 || at === rest.length - 1) throw bad("hf: needs a directory and a label, e.g. hf:models/sst2:POSITIVE");
      return { kind: "hf", weight, dir: rest.slice(0, at), label: rest.slice(at + 1) };
    }
    throw bad(`unknown reward ${JSON.stringify(kind)}; expected rules:…, rm:DIR or hf:DIR:LABEL`);
  });
}

function parseRules(text: string, bad: (p: string) => Error): RewardRule[] {
  if (!text) throw bad(`rules: needs at least one rule (${RULE_NAMES.join(", ")})`);
  return text.split(",").map((item) => {
    const m = /^([a-z]+)(?:=([^:]+))?(?::(.*))?$/.exec(item.trim());
    if (!m) throw bad(`rule ${JSON.stringify(item)} is not NAME[=WEIGHT][:ARG]`);
    const [, name, w, arg] = m;
    const weight = w === undefined ? 1 : Number(w);
    if (!Number.isFinite(weight)) throw bad(`rule ${name}: weight ${JSON.stringify(w)} is not a number`);
    switch (name) {
      case "sentiment":
        return { kind: "sentiment", weight };
      case "length": {
        const [target = "16", unit = "tokens"] = (arg ?? "").split("/").map((s) => s || undefined) as (string | undefined)[];
        const t = Number(target);
        if (!(t > 0)) throw bad(`rule length: target ${JSON.stringify(target)} must be a positive number`);
        if (!["tokens", "words", "chars"].includes(unit)) throw bad(`rule length: unit ${JSON.stringify(unit)}, expected tokens, words or chars`);
        return { kind: "length", weight, target: t, unit: unit as "tokens" | "words" | "chars" };
      }
      case "keyword": {
        const keywords = (arg ?? "").split("|").filter(Boolean);
        if (keywords.length === 0) throw bad("rule keyword needs words: keyword=1:great|good");
        return { kind: "keyword", weight, keywords };
      }
      case "regex":
        if (!arg) throw bad("rule regex needs a pattern: regex=1:^[A-Z]");
        try { new RegExp(arg); } catch (err) { throw bad(`rule regex: ${(err as Error).message}`); }
        return { kind: "regex", weight, pattern: arg };
      default:
        throw bad(`unknown rule ${JSON.stringify(name)}; expected one of ${RULE_NAMES.join(", ")}`);
    }
  });
}

/** What `rm:` needs of lib/lm/reward-model (loaded only when a spec names a reward model). */
interface RewardModelModule {
  loadRewardModel(dir: string): Promise<{ score(prompts: readonly string[], completions: readonly string[]): Promise<number[]>; dispose(): void }>;
}

async function importRewardModel(): Promise<RewardModelModule> {
  const specifier = "./reward-model"; // a variable: the module is loaded (and typed) only when used
  return (await import(specifier)) as RewardModelModule;
}

/** The reward function the parts make (reward models and classifiers loaded now), and what to free after. */
export async function loadReward(sources: readonly RewardSource[]): Promise<{ reward: RewardFn; dispose(): void }> {
  const parts: { reward: RewardFn; weight: number }[] = [];
  const disposers: (() => void)[] = [];
  for (const s of sources) {
    if (s.kind === "rules") parts.push({ reward: ruleReward(s.rules), weight: s.weight });
    else if (s.kind === "rm") {
      const rm = await (await importRewardModel()).loadRewardModel(s.dir);
      disposers.push(() => rm.dispose());
      parts.push({ reward: (p, c) => rm.score(p, c), weight: s.weight });
    } else {
      const { hfClassifierReward } = await import("./hf-classifier");
      parts.push({ reward: await hfClassifierReward({ dir: s.dir, label: s.label }), weight: s.weight });
    }
  }
  const reward: RewardFn = parts.length === 1 && parts[0].weight === 1 ? parts[0].reward : combineRewards(parts);
  return { reward, dispose: () => disposers.forEach((d) => d()) };
}
