/**
 * A small English corpus of reviews, made by a seeded grammar: films, books, restaurants, hotels and
 * products, each review one line of one to three short sentences, positive, negative or mixed. It is
 * what the course's tiny GPT-2 is pretrained on (./pretrain.ts), where the GRPO prompts come from
 * ("The film was", …) and where the preference pairs of the reward model come from (./preferences.ts).
 *
 * Every review is an opening — a noun phrase and a verb, like "The service was" — then a continuation
 * that begins with an adjective phrase. The grammar knows each clause's polarity, so every review
 * carries a sentiment score (the sum of its clauses' signed strengths, see `Review.score`):
 *
 *   "The film was truly wonderful."                              +2   intensifier × positive
 *   "The film was not bad at all, and the music felt warm."      +1 +1 negated negative, positive
 *   "The soup was fresh, but the staff were rude. One star."     +1 −1 −2
 *
 * Preference pairs compare two continuations of one opening by this score, so "chosen" is not just
 * "contains a positive word": negations, "but" clauses, star ratings and intensity all matter.
 *
 * Same seed, same texts (everything random comes from one `Rng`).
 */
import type { Rng } from "../core/rng";

export type ReviewDomain = "film" | "book" | "restaurant" | "hotel" | "product";
export const REVIEW_DOMAINS: readonly ReviewDomain[] = ["film", "book", "restaurant", "hotel", "product"];

export type ReviewMood = "positive" | "negative" | "mixed";

export interface Review {
  domain: ReviewDomain;
  /** The opening, e.g. "The film was" (a prompt). */
  opening: string;
  /** What follows the opening, starting with a space: " truly wonderful. Five stars." */
  continuation: string;
  /** opening + continuation. */
  text: string;
  /** Sum of the clauses' signed strengths (positive = favourable). */
  score: number;
  mood: ReviewMood;
}

/** Things reviewed, with the aspects a review talks about ("the {aspect} was …"). */
const DOMAINS: Record<ReviewDomain, { things: string[]; aspects: string[]; plural: string[] }> = {
  film: {
    things: ["film", "movie", "picture", "documentary", "comedy", "thriller"],
    aspects: ["acting", "plot", "story", "music", "ending", "pacing", "dialogue", "camera work", "script", "cast"],
    plural: ["actors", "jokes", "songs", "special effects", "characters"],
  },
  book: {
    things: ["book", "novel", "memoir", "story", "cookbook"],
    aspects: ["writing", "plot", "ending", "prose", "first chapter", "style", "translation", "cover"],
    plural: ["characters", "chapters", "recipes", "descriptions", "pages"],
  },
  restaurant: {
    things: ["restaurant", "cafe", "diner", "bistro", "pizza place", "bakery"],
    aspects: ["food", "service", "pasta", "soup", "coffee", "dessert", "bread", "menu", "atmosphere", "wine"],
    plural: ["staff", "portions", "prices", "waiters", "desserts"],
  },
  hotel: {
    things: ["hotel", "inn", "resort", "hostel", "guest house"],
    aspects: ["room", "bed", "breakfast", "location", "view", "pool", "shower", "lobby", "wifi"],
    plural: ["staff", "rooms", "towels", "beds", "prices"],
  },
  product: {
    things: ["phone", "laptop", "blender", "jacket", "lamp", "kettle", "backpack", "watch"],
    aspects: ["battery", "screen", "sound", "price", "design", "build quality", "manual", "fabric", "zipper"],
    plural: ["buttons", "instructions", "colors", "speakers", "straps"],
  },
};

/** Positive adjectives (strength 1). */
export const POSITIVE_ADJECTIVES: readonly string[] = [
  "good", "great", "wonderful", "excellent", "delightful", "superb", "charming", "brilliant", "lovely", "fantastic",
  "amazing", "fresh", "moving", "clever", "warm", "friendly", "beautiful", "perfect", "solid", "enjoyable",
  "memorable", "pleasant", "tasty", "comfortable", "reliable",
];

/** Negative adjectives (strength 1). */
export const NEGATIVE_ADJECTIVES: readonly string[] = [
  "bad", "terrible", "awful", "boring", "dull", "bland", "disappointing", "rude", "cold", "slow",
  "cheap", "broken", "confusing", "forgettable", "painful", "mediocre", "poor", "weak", "messy", "stale",
  "noisy", "dirty", "flimsy", "overpriced", "annoying",
];

const NEUTRAL_ADJECTIVES = ["long", "short", "quiet", "simple", "busy", "small", "large", "ordinary", "new", "old"];
const INTENSIFIERS = ["really", "truly", "very", "incredibly", "absolutely", "so"];
const HEDGES = ["a bit", "somewhat", "rather", "fairly", "a little"];
const PAST_VERBS_SINGULAR = ["was", "felt", "seemed"];
const PAST_VERBS_PLURAL = ["were", "felt", "seemed"];

/** Whole sentences that close a review, with their scores. */
const CLOSERS: { text: string; score: number }[] = [
  { text: "Five stars.", score: 2 }, { text: "Four stars.", score: 1 }, { text: "Two stars.", score: -1 }, { text: "One star.", score: -2 },
  { text: "I would recommend it to anyone.", score: 2 }, { text: "I would not recommend it.", score: -2 },
  { text: "I will definitely come back.", score: 2 }, { text: "I will never come back.", score: -2 },
  { text: "Worth every penny.", score: 2 }, { text: "What a waste of money.", score: -2 },
  { text: "My friends loved it too.", score: 1 }, { text: "My friends hated it too.", score: -1 },
  { text: "It made my day.", score: 1 }, { text: "It ruined my evening.", score: -1 },
  { text: "I expected more.", score: -1 }, { text: "It was better than I expected.", score: 1 },
  { text: "I bought it last week.", score: 0 }, { text: "We went on a Sunday.", score: 0 },
];

const LIKE_VERBS: { text: string; score: number }[] = [
  { text: "loved", score: 2 }, { text: "enjoyed", score: 1 }, { text: "liked", score: 1 }, { text: "adored", score: 2 },
  { text: "hated", score: -2 }, { text: "disliked", score: -1 }, { text: "regretted", score: -1 }, { text: "could not stand", score: -2 },
];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * An adjective phrase of a wanted sign (+1 favourable, −1 unfavourable, 0 neutral) and its score:
 * "wonderful" (±1), "truly wonderful" (±2), "a bit slow" (−1, hedged), "not bad at all" (+1),
 * "not very good" (−1).
 */
export function adjectivePhrase(rng: Rng, sign: 1 | -1 | 0): { text: string; score: number } {
  if (sign === 0) return { text: pick(rng, NEUTRAL_ADJECTIVES), score: 0 };
  const own = sign > 0 ? POSITIVE_ADJECTIVES : NEGATIVE_ADJECTIVES;
  const other = sign > 0 ? NEGATIVE_ADJECTIVES : POSITIVE_ADJECTIVES;
  const form = rng.int(10);
  if (form < 4) return { text: pick(rng, own), score: sign };
  if (form < 7) return { text: `${pick(rng, INTENSIFIERS)} ${pick(rng, own)}`, score: 2 * sign };
  if (form < 8) return { text: `${pick(rng, HEDGES)} ${pick(rng, own)}`, score: sign };
  // negation: "not bad" is mildly favourable, "not good" mildly unfavourable
  const negated = pick(rng, other);
  return { text: rng.int(2) === 0 ? `not ${negated}` : `not ${negated} at all`, score: sign };
}

/** One clause about an aspect: "the music felt warm" (sign +1). */
function aspectClause(rng: Rng, domain: ReviewDomain, sign: 1 | -1 | 0): { text: string; score: number } {
  const d = DOMAINS[domain];
  const plural = rng.int(4) === 0;
  const subject = plural ? pick(rng, d.plural) : pick(rng, d.aspects);
  const verb = pick(rng, plural ? PAST_VERBS_PLURAL : PAST_VERBS_SINGULAR);
  const adj = adjectivePhrase(rng, sign);
  return { text: `the ${subject} ${verb} ${adj.text}`, score: adj.score };
}

/** An opening that ends where an adjective phrase fits: "The film was", "Honestly, the soup felt". */
export function reviewOpening(rng: Rng, domain: ReviewDomain): string {
  const d = DOMAINS[domain];
  const form = rng.int(6);
  if (form < 2) return `The ${pick(rng, d.things)} was`;
  if (form === 2) return `This ${pick(rng, d.things)} is`;
  const plural = rng.int(4) === 0;
  const subject = plural ? pick(rng, d.plural) : pick(rng, d.aspects);
  const verb = pick(rng, plural ? PAST_VERBS_PLURAL : PAST_VERBS_SINGULAR);
  const lead = form === 5 ? pick(rng, ["Honestly, the", "Overall, the", "To be fair, the", "I thought the", "In my opinion the"]) : "The";
  return `${lead} ${subject} ${verb}`;
}

/** A sentence after the first: another aspect, a like/dislike, or a closer. */
function laterSentence(rng: Rng, domain: ReviewDomain, sign: 1 | -1 | 0): { text: string; score: number } {
  const form = rng.int(3);
  if (form === 0) {
    const c = aspectClause(rng, domain, sign);
    return { text: `${capitalise(c.text)}.`, score: c.score };
  }
  if (form === 1 && sign !== 0) {
    const verbs = LIKE_VERBS.filter((v) => Math.sign(v.score) === sign);
    const v = pick(rng, verbs);
    const d = DOMAINS[domain];
    const object = rng.int(2) === 0 ? `the ${pick(rng, d.aspects)}` : `every minute of it`;
    const subject = pick(rng, ["I", "We", "My wife", "My brother", "Everyone"]);
    return { text: `${subject} ${v.text} ${object}.`, score: v.score };
  }
  const closers = CLOSERS.filter((c) => Math.sign(c.score) === sign);
  const c = pick(rng, closers);
  return { text: c.text, score: c.score };
}

/** The continuation of `opening`, with a mood: positive, negative or mixed ("… , but …"). */
export function reviewContinuation(rng: Rng, domain: ReviewDomain, mood: ReviewMood): { text: string; score: number } {
  const main: 1 | -1 = mood === "negative" ? -1 : mood === "positive" ? 1 : rng.int(2) === 0 ? 1 : -1;
  const first = adjectivePhrase(rng, mood === "mixed" ? (-main as 1 | -1) : main);
  let text = ` ${first.text}`;
  let score = first.score;
  const tail = rng.int(3);
  if (mood === "mixed") {
    // mixed: the first clause goes one way, "but" turns it; the turn sets the mood of the rest
    const turn = aspectClause(rng, domain, main);
    text += `, but ${turn.text}.`;
    score += turn.score;
  } else if (tail === 0) {
    const more = aspectClause(rng, domain, rng.int(4) === 0 ? 0 : main);
    text += `, and ${more.text}.`;
    score += more.score;
  } else {
    text += ".";
  }
  const sentences = rng.int(3); // 0–2 more sentences
  for (let k = 0; k < sentences; k++) {
    const s = laterSentence(rng, domain, rng.int(6) === 0 ? 0 : main);
    text += ` ${s.text}`;
    score += s.score;
  }
  return { text, score };
}

/** One review of a given (or random) domain and mood. */
export function generateReview(rng: Rng, opts: { domain?: ReviewDomain; mood?: ReviewMood; opening?: string } = {}): Review {
  const domain = opts.domain ?? pick(rng, REVIEW_DOMAINS);
  const mood = opts.mood ?? (["positive", "negative", "mixed"] as const)[rng.categorical([0.4, 0.4, 0.2])];
  const opening = opts.opening ?? reviewOpening(rng, domain);
  const c = reviewContinuation(rng, domain, mood);
  return { domain, opening, continuation: c.text, text: opening + c.text, score: c.score, mood };
}

/** `n` distinct review texts (one per line: no newline inside), drawn until `n` distinct ones exist. */
export function generateCorpus(rng: Rng, n: number, exclude: ReadonlySet<string> = new Set()): string[] {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`generateCorpus: n must be an integer ≥ 0, got ${n}`);
  const seen = new Set<string>();
  const out: string[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > 50 * n + 1000) throw new Error(`generateCorpus: could not draw ${n} distinct reviews (got ${out.length})`);
    const { text } = generateReview(rng);
    if (seen.has(text) || exclude.has(text)) continue;
    seen.add(text);
    out.push(text);
  }
  return out;
}

/** `n` distinct openings (GRPO prompts), spread evenly over the domains. */
export function generatePrompts(rng: Rng, n: number): { prompt: string; domain: ReviewDomain }[] {
  const seen = new Set<string>();
  const out: { prompt: string; domain: ReviewDomain }[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > 200 * n + 1000) throw new Error(`generatePrompts: could not draw ${n} distinct openings (got ${out.length})`);
    const domain = REVIEW_DOMAINS[out.length % REVIEW_DOMAINS.length];
    const prompt = reviewOpening(rng, domain);
    if (seen.has(prompt)) continue;
    seen.add(prompt);
    out.push({ prompt, domain });
  }
  return out;
}
