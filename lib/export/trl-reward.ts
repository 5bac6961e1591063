/**
 * A `tsrl train grpo GPT2 --reward SPEC` reward as Python, for TRL's GRPOTrainer (`reward_funcs`):
 * the rule parts of SPEC (lib/lm/rule-rewards.ts: sentiment, length, keyword, regex) become one
 * function `reward(prompts, completions, completion_ids=None, **kwargs) -> list[float]` computing
 * the same numbers; a part no Python function here can compute (a tsrl reward model `rm:DIR`, a
 * Transformers.js classifier `hf:DIR:LABEL`) is listed in `MISSING` with what to do instead, and the
 * training script refuses to start while anything is missing (unless told to train on the rest).
 *
 * Where the two can differ: `length` in tokens counts TRL's sampled `completion_ids` (without a
 * final <|endoftext|>) where tsrl re-tokenises the decoded text — the same but for rare
 * non-canonical tokenisations; a `regex` pattern is read by Python's `re`, which agrees with
 * JavaScript's on ordinary patterns (classes, anchors, alternation, quantifiers) but not on all
 * syntax (e.g. named groups). The dataset's prompts start with "<|endoftext|>", as tsrl feeds them;
 * the reward takes it off before a rule sees the prompt.
 */
import type { RewardSource } from "../lm/reward-spec";
import { NEGATIVE_WORDS, POSITIVE_WORDS, type RewardRule } from "../lm/rule-rewards";

export interface PythonReward {
  source: string;
  /** Parts of the spec the Python function does not compute, each with what to do instead. */
  missing: string[];
}

const py = (v: unknown): string => {
  if (typeof v === "string") return JSON.stringify(v); // a JSON string is a valid Python string literal
  if (typeof v === "number") return Number.isInteger(v) ? `${v}.0` : String(v);
  if (typeof v === "boolean") return v ? "True" : "False";
  if (Array.isArray(v)) return `[${v.map(py).join(", ")}]`;
  if (v === undefined || v === null) return "None";
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${py(x)}`).join(", ")}}`;
};

/** One rule as the Python RULES table holds it: (kind, weight, options). */
function pythonRule(rule: RewardRule, partWeight: number): string {
  const weight = partWeight * (rule.weight ?? 1);
  switch (rule.kind) {
    case "sentiment":
      return `("sentiment", ${py(weight)}, {"positive": ${rule.positive ? py(rule.positive.map((w) => w.toLowerCase())) : "POSITIVE_WORDS"}, "negative": ${rule.negative ? py(rule.negative.map((w) => w.toLowerCase())) : "NEGATIVE_WORDS"}})`;
    case "length":
      return `("length", ${py(weight)}, {"target": ${py(rule.target)}, "unit": ${py(rule.unit ?? "tokens")}})`;
    case "keyword":
      return `("keyword", ${py(weight)}, {"keywords": ${py(rule.keywords)}, "mode": ${py(rule.mode ?? "any")}, "case_sensitive": ${py(rule.caseSensitive ?? false)}})`;
    case "regex":
      return `("regex", ${py(weight)}, {"pattern": ${py(rule.pattern)}, "flags": ${py(rule.flags ?? "")}, "on": ${py(rule.on ?? "completion")}})`;
  }
}

export function rewardPython(spec: string, sources: readonly RewardSource[]): PythonReward {
  const rules: string[] = [];
  const missing: string[] = [];
  for (const s of sources) {
    if (s.kind === "rules") rules.push(...s.rules.map((r) => pythonRule(r, s.weight)));
    else if (s.kind === "rm") missing.push(`rm:${s.dir} (weight ${s.weight}): a tsrl Bradley-Terry reward model; TRL takes a reward model as a sequence-classification model directory (AutoModelForSequenceClassification) in reward_funcs — train or convert one, and add it next to \`reward\``);
    else missing.push(`hf:${s.dir}:${s.label} (weight ${s.weight}): a Transformers.js classifier's P(${s.label}); in Python load the same model with transformers' pipeline("text-classification") and add a function returning weight * P(${s.label}) next to \`reward\``);
  }
  const source = `"""The reward of a tsrl run, for TRL's GRPOTrainer (written by \`tsrl export trl\`).

tsrl's --reward: ${spec.replace(/\\/g, "\\\\").replace(/"""/g, '\\"\\"\\"')}

reward(prompts, completions, completion_ids=None, **kwargs) returns one number per completion: the
weighted sum of the rules in RULES, computed as lib/lm/rule-rewards.ts computes them. MISSING lists
the parts of the reward this file does not compute; train_grpo.py refuses to start while it is not
empty (--allow-partial-reward trains on the rules alone).
"""
import re

POSITIVE_WORDS = ${py(POSITIVE_WORDS)}
NEGATIVE_WORDS = ${py(NEGATIVE_WORDS)}
NEGATORS = {"not", "no", "never", "hardly", "barely"}
EOS_TOKEN_ID = 50256
DOCUMENT_START = "<|endoftext|>"  # the dataset's prompts start with it, as tsrl feeds them

# (kind, weight, options): weight is the part's weight times the rule's
RULES = [
${rules.map((r) => `    ${r},`).join("\n")}
]
MISSING = ${missing.length ? `[\n${missing.map((m) => `    ${py(m)},`).join("\n")}\n]` : "[]"}


def words(text):
    """Lower-case words (letters, digits, apostrophes)."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def lexicon_sentiment(text, positive, negative):
    """(pos - neg) / (pos + neg) over the sentiment words, a word right after a negator flipped; 0 if none."""
    ws = words(text)
    pos = neg = 0
    for i, w in enumerate(ws):
        sign = 1 if w in positive else -1 if w in negative else 0
        if sign == 0:
            continue
        if i > 0 and (ws[i - 1] in NEGATORS or ws[i - 1].endswith("n't")):
            sign = -sign
        if sign > 0:
            pos += 1
        else:
            neg += 1
    return 0.0 if pos + neg == 0 else (pos - neg) / (pos + neg)


def count(unit, completion, ids):
    if unit == "chars":
        return len(completion)
    if unit == "words":
        return len(completion.split())
    if ids is None:
        raise ValueError("a length rule in tokens needs completion_ids (TRL passes them to reward functions)")
    ids = list(ids)
    return len(ids) - (1 if ids and ids[-1] == EOS_TOKEN_ID else 0)


def _compile(kind, options):
    if kind == "sentiment":
        return {"positive": {w.lower() for w in options["positive"]}, "negative": {w.lower() for w in options["negative"]}}
    if kind == "keyword":
        flags = 0 if options["case_sensitive"] else re.IGNORECASE
        # a whole word: no letter or digit right before or after ([^\\W_]: a letter or digit)
        return {"patterns": [re.compile(r"(?<![^\\W_])" + re.escape(k) + r"(?![^\\W_])", flags) for k in options["keywords"]]}
    if kind == "regex":
        flags = (re.IGNORECASE if "i" in options["flags"] else 0) | (re.MULTILINE if "m" in options["flags"] else 0) | (re.DOTALL if "s" in options["flags"] else 0)
        return {"pattern": re.compile(options["pattern"], flags)}
    return {}


_COMPILED = [(kind, weight, options, _compile(kind, options)) for kind, weight, options in RULES]


def _score(kind, options, compiled, prompt, completion, ids):
    if kind == "sentiment":
        return lexicon_sentiment(completion, compiled["positive"], compiled["negative"])
    if kind == "length":
        return -abs(count(options["unit"], completion, ids) - options["target"]) / options["target"]
    if kind == "keyword":
        hits = sum(1 for p in compiled["patterns"] if p.search(completion))
        return (1.0 if hits > 0 else 0.0) if options["mode"] == "any" else hits / len(compiled["patterns"])
    if kind == "regex":
        text = prompt + completion if options["on"] == "text" else completion
        return 1.0 if compiled["pattern"].search(text) else 0.0
    raise ValueError("unknown rule kind " + repr(kind))


def reward(prompts, completions, completion_ids=None, **kwargs):
    """One reward per completion: the weighted sum of RULES."""
    out = []
    for i, completion in enumerate(completions):
        prompt = prompts[i][len(DOCUMENT_START):] if prompts[i].startswith(DOCUMENT_START) else prompts[i]
        ids = completion_ids[i] if completion_ids is not None else None
        out.append(sum(weight * _score(kind, options, compiled, prompt, completion, ids) for kind, weight, options, compiled in _COMPILED))
    return out
`;
  return { source, missing };
}
