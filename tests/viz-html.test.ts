/**
 * Every HTML output the library makes must read right in a notebook opened untrusted — the way a
 * new reader opens any committed notebook in the classic Notebook, whose sanitiser turns each
 * inline `style` into `style="undefined:undefined"`. So: no inline style anywhere, and what the
 * styles used to say (a deletion, an insertion, a bar's fill, pass or fail) said with markup the
 * sanitiser keeps and with text markers. tests/browser.test.ts checks the same outputs in Chromium.
 */
import { describe, expect, test } from "vitest";
import { diffText } from "../lib/envs/edit/distance";
import { checkAll, checkThat, checkValue } from "../lib/teach/check";
import { diffPlain, diffView } from "../lib/viz/diff";
import { progressHtml } from "../lib/viz/progress-format";
import { table } from "../lib/viz/table";

const DISPLAY = Symbol.for("Jupyter.display");
/** What a reader sees with every tag (and so every colour) gone. */
const textOf = (html: string) => html.replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

describe("diffView", () => {
  const segments = diffText("the dusty otter", "The dusty  otter.");

  test("insertions and deletions carry git's word-diff markers in HTML as in text", () => {
    expect(diffPlain(segments)).toBe("[-t-]{+T+}he dusty{+ +} otter{+.+}");
    const b = diffView([{ label: "Capitalise it.", segments, note: "exact — 1 edit", ok: true }], { title: "successes" });
    const html = String(b["text/html"]);
    expect(html).not.toMatch(/style=/);
    // the markers stay when colour is lost; a space inside a change is drawn as "␣"
    expect(textOf(html)).toContain("[-t-]{+T+}he dusty{+␣+} otter{+.+}");
    expect(html).toContain(`<font color="#cf222e">[-<del>t</del>-]</font>`);
    expect(html).toContain(`<font color="#1a7f37">{+<ins><b>T</b></ins>+}</font>`);
    expect(textOf(html)).toMatch(/^successes\n✓ Capitalise it\.\[-t-\]/);
    expect(b["text/plain"]).toBe("successes\n✓ Capitalise it.\n  [-t-]{+T+}he dusty{+ +} otter{+.+}\n  exact — 1 edit");
  });

  test("text is escaped, in the diff and around it", () => {
    const html = String(diffView([{ label: "<i>", segments: [{ kind: "insert", text: "<b>&" }], ok: false }])["text/html"]);
    expect(html).toContain("&lt;i&gt;");
    expect(html).toContain("{+<ins><b>&lt;b&gt;&amp;</b></ins>+}");
    expect(textOf(html)).toContain("✗ <i>");
  });
});

describe("no inline style in any HTML output", () => {
  const outputs: Record<string, string> = {
    diff: String(diffView([{ segments: diffText("a b", "a c"), ok: false, note: "n", label: "l" }])["text/html"]),
    table: String(table([{ a: 1, b: "x" }], { title: "T", types: { a: "i64" } })["text/html"]),
    "progress, stopped": progressHtml({ n: 3, total: 10, elapsed: 1, status: "stopped", desc: "train" }),
    "progress, done": progressHtml({ n: 10, total: 10, elapsed: 1, status: "done" }),
    check: String((checkValue("x", 1, 2, { hint: "h" }) as unknown as Record<symbol, () => Record<string, string>>)[DISPLAY]()["text/html"]),
    "check, all": String((checkAll("all", [checkThat("t", true, { pass: "p", fail: "f" })]) as unknown as Record<symbol, () => Record<string, string>>)[DISPLAY]()["text/html"]),
  };
  test.each(Object.keys(outputs))("%s", (name) => {
    expect(outputs[name]).toContain("<");
    expect(outputs[name]).not.toMatch(/\sstyle\s*=/i);
  });

  test("a check says pass or fail in its text, not only in colour", () => {
    expect(textOf(outputs.check)).toMatch(/^✗ x/);
    expect(textOf(outputs["check, all"])).toMatch(/^✓ all/);
  });

  test("a saved progress bar keeps its bar as block characters", () => {
    expect(textOf(outputs["progress, stopped"])).toBe("train:  30%|██████              | stopped at 3/10 [00:01, 3.00 it/s]");
  });
});
