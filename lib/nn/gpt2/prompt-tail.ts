/**
 * The last `k` tokens of a text without tokenising all of it: a model with 1,024 positions reads at
 * most ~1,000 tokens of a prompt, and tokenising a 10 MB prompt whole takes seconds and most of a
 * gigabyte to keep its end.
 *
 * The text is cut a little before where its last k tokens can start, at a clean boundary — a
 * whitespace character right after a non-whitespace one. GPT-2's pre-tokenizer never puts such a
 * pair inside one piece (a piece is letters, digits or punctuation with at most one leading space, or
 * a run of whitespace), and BPE works piece by piece, so the tail's tokens are exactly the full
 * text's last tokens. The tail starts at ~4 characters per token and doubles until it holds k
 * tokens. A tail with no clean boundary (one word longer than the window) is cut where it is: its
 * first token may then differ from the full tokenisation's, which is the price of not reading it all.
 */
import type { Gpt2Tokenizer } from "./tokenizer";

const WHITESPACE = /\s/;

export function encodeTail(tok: Pick<Gpt2Tokenizer, "encode">, text: string, k: number): number[] {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`encodeTail: k must be a non-negative integer, got ${k}`);
  if (k === 0) return [];
  for (let span = 4 * k + 64; ; span *= 2) {
    if (span >= text.length) return tok.encode(text).slice(-k);
    const ids = tok.encode(text.slice(cutPoint(text, text.length - span)));
    if (ids.length > k) return ids.slice(-k);
  }
}

/** The first clean boundary at or after `from` (see the module comment), else `from` moved off a surrogate pair's second half. */
function cutPoint(text: string, from: number): number {
  for (let i = Math.max(from, 1); i < text.length; i++) {
    if (WHITESPACE.test(text[i]) && !WHITESPACE.test(text[i - 1])) return i;
  }
  const code = text.charCodeAt(from);
  return code >= 0xdc00 && code <= 0xdfff ? from + 1 : from;
}
