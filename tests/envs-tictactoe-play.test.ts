/**
 * play() and policyHeatmap(): what a notebook shows when a learner plays the agent or looks at
 * its policy. The picture must say what the text says (how the game ended, which moves were not
 * played), captions must fit under their own boards, and a bundle must hold MIME keys only.
 */
import { describe, expect, test } from "vitest";
import { play, playSvg, policyHeatmap, type Player } from "../lib/envs/tictactoe/play";
import { HIGHLIGHT_COLOUR, LINE_COLOUR, renderBoardsSvg } from "../lib/envs/tictactoe/render";
import { isMimeBundle, readPngHeader, type MimeBundle } from "../lib/viz";
import { textWidth, wrapText } from "../lib/viz/svg-text";

const DISPLAY = Symbol.for("Jupyter.display");
const bundleOf = (x: unknown) => (x as Record<symbol, () => MimeBundle>)[DISPLAY]();
/** Plays the lowest free cell: predictable, and easy to beat. */
const lowestFree: Player["act"] = (_obs, { mask }) => mask!.indexOf(1);

/** The text lines drawn in an SVG, in document order. */
const svgLines = (svg: string) => [...svg.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1].replace(/&amp;/g, "&"));

describe("text in pictures", () => {
  test("widths come from DejaVu Sans' advances; wrapping keeps every line within the width", () => {
    expect(textWidth("0", 10)).toBeCloseTo(6.36, 2);
    expect(textWidth("mid-game vs random", 14)).toBeGreaterThan(120); // wider than a 120 px board: the old captions overlapped
    const lines = wrapText("lost game 1: 0 1 2 4 3 6 5 7", 130, 14);
    expect(lines.join(" ")).toBe("lost game 1: 0 1 2 4 3 6 5 7");
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(textWidth(l, 14)).toBeLessThanOrEqual(130);
    expect(wrapText("a\nb", 500, 14)).toEqual(["a", "b"]);
    expect(wrapText("unbreakable", 5, 14)).toEqual(["unbreakable"]);
  });

  test("board captions wrap to their board, and the picture grows to hold them", () => {
    const boards = [0, 1, 2, 3].map((k) => ({ board: new Int8Array(9), opts: { caption: `lost game ${k + 1}: 0 1 2 4 3 6 5 7` } }));
    const svg = renderBoardsSvg(boards, 120);
    const height = Number(/height="(\d+(\.\d+)?)"/.exec(svg)![1]);
    const lines = svgLines(svg);
    expect(lines.length).toBeGreaterThanOrEqual(8); // two lines or more under each of the four boards
    for (const l of lines) expect(textWidth(l, 14)).toBeLessThanOrEqual(120 + 16 - 6);
    const lastBaseline = Math.max(...[...svg.matchAll(/<tspan[^>]* y="([\d.]+)"/g)].map((m) => Number(m[1])));
    expect(lastBaseline + 4).toBeLessThanOrEqual(height - 10); // inside the picture, above its bottom margin
  });

  test("captions a size smaller fit on one line rather than wrap one word onto a second", () => {
    const svg = renderBoardsSvg([{ board: new Int8Array(9), opts: { caption: "X to move" } }, { board: new Int8Array(9), opts: { caption: "O to move, must block 2" } }], 150);
    expect(svgLines(svg)).toEqual(["X to move", "O to move, must block 2"]);
    expect(svg).toMatch(/font-size="1[23]"[^>]*><tspan[^>]*>X to move/); // the whole row at one size
    expect(textWidth("O to move, must block 2", 14)).toBeGreaterThan(150 + 16 - 6); // at 14 px it would have wrapped
  });
});

describe("play", () => {
  test("a lost game: the picture's title says so, and the winning line is struck in its own colour", () => {
    const r = play(lowestFree, [3, 4, 6]); // the agent takes 0, 1, 2
    expect(r.outcome).toBe("O");
    expect(String(r)).toContain("you lost: the agent (O) wins (cells 0–1–2)\nO O O");
    const svg = playSvg(r);
    expect(svgLines(svg)[0]).toBe("you lost: the agent (O) wins (cells 0–1–2)");
    expect(svg).toContain(`stroke="${HIGHLIGHT_COLOUR}"`); // the last move
    expect(svg).toContain(`stroke="${LINE_COLOUR}"`); // the winning line
    expect(HIGHLIGHT_COLOUR).not.toBe(LINE_COLOUR);
    const b = bundleOf(r);
    expect(Object.keys(b).sort()).toEqual(["image/png", "text/plain"]);
    expect(readPngHeader(Buffer.from(String(b["image/png"]), "base64")).width).toBeGreaterThan(600);
  });

  test("moves left over when the game ended: said under the boards, as in the text", () => {
    const r = play(lowestFree, [4, 8, 2, 6, 0, 1]); // X wins on 2–4–6 after four of six moves
    expect(r.outcome).toBe("X");
    expect(r.error).toBe("the game ended after 4 of your 6 moves; the rest were not played");
    const lines = svgLines(playSvg(r));
    expect(lines[0]).toBe("you win (X, cells 2–4–6)");
    expect(lines.slice(-2).join(" ")).toContain("✗ the game ended after 4 of your 6 moves");
    expect(String(r)).toMatch(/you win \(X, cells 2–4–6\)[\s\S]*✗ the game ended after 4 of your 6 moves/);
  });

  test("an illegal move stops the game, and the picture says which", () => {
    const r = play(lowestFree, [4, 4]);
    expect(r.error).toMatch(/^your move 2: cell 4 is taken; nothing changed/);
    expect(String(r)).toBe("1. you (X) → 4\n2. agent (O) → 0\ngame on: your move\n✗ your move 2: cell 4 is taken; nothing changed. The board:\nO . .\n. X .\n. . .");
    const lines = svgLines(playSvg(r));
    expect(lines[0]).toBe("game on: your move");
    expect(lines.slice(-2).join(" ")).toMatch(/✗ your move 2: cell 4 is taken; nothing changed\.$/);
    expect(playSvg(r)).not.toContain(LINE_COLOUR);
    expect(isMimeBundle(bundleOf(r))).toBe(true);
  });
});

describe("policyHeatmap", () => {
  const agent: Player = { act: lowestFree, probs: (_obs, mask) => Float32Array.from(mask!, (m) => m / mask!.reduce((a, b) => a + b, 0)) };

  test("a bundle of MIME keys only; the probabilities ride along unlisted", () => {
    const heat = policyHeatmap(agent, [[0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0, 0]]);
    expect(Object.keys(heat).sort()).toEqual(["image/png", "text/plain"]);
    expect(isMimeBundle(heat)).toBe(true);
    expect(JSON.stringify(heat)).not.toContain("probs");
    expect(heat.probs).toHaveLength(2);
    expect(heat.probs[1][0]).toBe(0);
    expect(heat.probs[1][4]).toBeCloseTo(1 / 8, 6);
  });
});
