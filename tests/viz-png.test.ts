/**
 * The PNG and APNG encoders, checked by decoding their output with an independent decoder written
 * here from the PNG spec (inflate, undo the five scanline filters, expand the palette, composite
 * APNG frame regions) and comparing pixels with what went in.
 */
import * as zlib from "node:zlib";
import { describe, expect, test } from "vitest";
import { itSlow } from "./slow";
import {
  animationBundle, crc32, encodeApng, encodePng, pngChunk, pngDisplaySize, rasterizeSvg, readPngChunks, readPngHeader, svgBundle,
  tableCrc32, type RgbaImage,
} from "../lib/viz";
import { cartPoleAnimation, renderCartPoleStrip, renderCartPoleSvg } from "../lib/envs/cartpole/render";

// ─── an independent decoder ────────────────────────────────────────────────────────────────────

interface FrameControl { seq: number; width: number; height: number; x: number; y: number; delayMs: number; dispose: number; blend: number }
interface Decoded {
  width: number;
  height: number;
  colorType: number;
  /** The default image (IDAT) as RGBA. */
  still: Uint8Array;
  /** acTL, when animated. */
  animation?: { frames: number; plays: number };
  controls: FrameControl[];
  /** The canvas after each animation frame, RGBA. */
  canvases: Uint8Array[];
  /** Sequence numbers of fcTL and fdAT chunks in file order. */
  sequence: number[];
  chunkTypes: string[];
}

function unfilter(raw: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const rowBytes = width * bpp;
  expect(raw.length, "inflated size").toBe((rowBytes + 1) * height);
  const out = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    const type = raw[y * (rowBytes + 1)];
    expect(type, `filter type of row ${y}`).toBeLessThanOrEqual(4);
    for (let i = 0; i < rowBytes; i++) {
      const x = raw[y * (rowBytes + 1) + 1 + i];
      const a = i >= bpp ? out[y * rowBytes + i - bpp] : 0;
      const b = y > 0 ? out[(y - 1) * rowBytes + i] : 0;
      const c = y > 0 && i >= bpp ? out[(y - 1) * rowBytes + i - bpp] : 0;
      let pred = 0;
      if (type === 1) pred = a;
      else if (type === 2) pred = b;
      else if (type === 3) pred = (a + b) >> 1;
      else if (type === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * rowBytes + i] = (x + pred) & 0xff;
    }
  }
  return out;
}

function toRgba(stored: Uint8Array, n: number, colorType: number, plte?: Uint8Array, trns?: Uint8Array): Uint8Array {
  const out = new Uint8Array(n * 4);
  if (colorType === 3) expect(stored.reduce((m, k) => Math.max(m, k), 0) * 3 + 2, "largest palette index inside PLTE").toBeLessThan(plte!.length);
  for (let p = 0; p < n; p++) {
    if (colorType === 3) {
      const k = stored[p];
      out.set(plte!.subarray(k * 3, k * 3 + 3), p * 4);
      out[p * 4 + 3] = trns && k < trns.length ? trns[k] : 255;
    } else if (colorType === 2) {
      out.set(stored.subarray(p * 3, p * 3 + 3), p * 4);
      out[p * 4 + 3] = 255;
    } else {
      out.set(stored.subarray(p * 4, p * 4 + 4), p * 4);
    }
  }
  return out;
}

function decode(bytes: Uint8Array): Decoded {
  const chunks = readPngChunks(bytes);
  for (const c of chunks) expect(c.crcOk, `CRC of ${c.type}`).toBe(true);
  expect(chunks[0].type).toBe("IHDR");
  expect(chunks[chunks.length - 1].type).toBe("IEND");
  const { width, height, bitDepth, colorType } = readPngHeader(bytes);
  expect(bitDepth).toBe(8);
  const bpp = colorType === 3 ? 1 : colorType === 2 ? 3 : 4;
  const plte = chunks.find((c) => c.type === "PLTE")?.data;
  const trns = chunks.find((c) => c.type === "tRNS")?.data;
  const actl = chunks.find((c) => c.type === "acTL");
  const firstIdat = chunks.findIndex((c) => c.type === "IDAT");
  if (actl) expect(chunks.indexOf(actl), "acTL before IDAT").toBeLessThan(firstIdat);
  const sequence: number[] = [];
  const controls: FrameControl[] = [];
  const frameData: Buffer[][] = [];
  const idat: Buffer[] = [];
  let current: Buffer[] | undefined;
  for (const c of chunks) {
    if (c.type === "fcTL") {
      const d = c.data;
      const [num, den] = [d.readUInt16BE(20), d.readUInt16BE(22)];
      controls.push({ seq: d.readUInt32BE(0), width: d.readUInt32BE(4), height: d.readUInt32BE(8), x: d.readUInt32BE(12), y: d.readUInt32BE(16), delayMs: (num / (den || 100)) * 1000, dispose: d[24], blend: d[25] });
      sequence.push(d.readUInt32BE(0));
      current = [];
      frameData.push(current);
    } else if (c.type === "IDAT") {
      idat.push(c.data);
      current?.push(c.data); // an IDAT after an fcTL is also the first frame
    } else if (c.type === "fdAT") {
      sequence.push(c.data.readUInt32BE(0));
      expect(current, "fdAT before any fcTL").toBeDefined();
      current!.push(c.data.subarray(4));
    }
  }
  const still = toRgba(unfilter(zlib.inflateSync(Buffer.concat(idat)), width, height, bpp), width * height, colorType, plte, trns);
  const canvases: Uint8Array[] = [];
  let canvas = new Uint8Array(width * height * 4);
  controls.forEach((fc, i) => {
    expect(fc.x + fc.width, `frame ${i} inside the canvas`).toBeLessThanOrEqual(width);
    expect(fc.y + fc.height, `frame ${i} inside the canvas`).toBeLessThanOrEqual(height);
    expect([fc.dispose, fc.blend], "only dispose none / blend source are written").toEqual([0, 0]);
    const region = toRgba(unfilter(zlib.inflateSync(Buffer.concat(frameData[i])), fc.width, fc.height, bpp), fc.width * fc.height, colorType, plte, trns);
    canvas = canvas.slice();
    for (let y = 0; y < fc.height; y++) canvas.set(region.subarray(y * fc.width * 4, (y + 1) * fc.width * 4), ((fc.y + y) * width + fc.x) * 4);
    canvases.push(canvas);
  });
  return {
    width, height, colorType, still, controls, canvases, sequence,
    animation: actl ? { frames: actl.data.readUInt32BE(0), plays: actl.data.readUInt32BE(4) } : undefined,
    chunkTypes: chunks.map((c) => c.type),
  };
}

// ─── images to encode ──────────────────────────────────────────────────────────────────────────

function image(width: number, height: number, colour: (x: number, y: number) => [number, number, number, number]): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(colour(x, y), (y * width + x) * 4);
  return { width, height, data };
}

/** A white canvas with a red square at (sx, sy) and a grey line: a little "environment frame". */
function squareAt(sx: number, sy: number): RgbaImage {
  return image(40, 30, (x, y) => (x >= sx && x < sx + 6 && y >= sy && y < sy + 6 ? [220, 30, 40, 255] : y === 25 ? [90, 90, 90, 255] : [255, 255, 255, 255]));
}

function maxChannelError(a: Uint8Array, b: Uint8Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

// ─── tests ─────────────────────────────────────────────────────────────────────────────────────

describe("PNG container", () => {
  test("CRC-32 matches the known value of 'IEND', native and table versions agree", () => {
    expect(crc32(Buffer.from("IEND"))).toBe(0xae426082);
    expect(tableCrc32(Buffer.from("IEND"))).toBe(0xae426082);
    const noise = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff);
    expect(tableCrc32(noise)).toBe(crc32(noise));
  });

  test("chunks read back with their CRCs; a flipped byte and a wrong signature are caught", () => {
    const png = encodePng(squareAt(3, 4));
    expect(readPngChunks(png).every((c) => c.crcOk)).toBe(true);
    const bad = Buffer.from(png);
    bad[8 + 8 + 2] ^= 0xff; // a byte inside IHDR's data
    expect(readPngChunks(bad)[0].crcOk).toBe(false);
    expect(() => readPngChunks(Buffer.from("GIF89a..."))).toThrow(/not a PNG: the first bytes are 47 49 46/);
    expect(() => pngChunk("ID4T")).toThrow(/4 ASCII letters, got 'ID4T'/);
  });

  test("pHYs records the scale, so the display size is the pixel size divided by it", () => {
    const img = image(64, 48, (x) => [x * 4, 0, 0, 255]);
    expect(pngDisplaySize(encodePng(img, { scale: 2 }))).toEqual({ width: 32, height: 24, scale: 2 });
    expect(pngDisplaySize(encodePng(img))).toEqual({ width: 64, height: 48, scale: 1 });
  });
});

describe("encodePng", () => {
  test("few colours: an exact palette image", () => {
    const img = squareAt(10, 12);
    const d = decode(encodePng(img));
    expect(d.colorType).toBe(3);
    expect([d.width, d.height]).toEqual([40, 30]);
    expect(d.still).toEqual(img.data);
    expect(d.chunkTypes).not.toContain("tRNS"); // all opaque
  });

  test("a smooth gradient (thousands of colours) stays lossless RGB", () => {
    const img = image(128, 64, (x, y) => [x * 2, y * 4, (x * y) & 0xff, 255]);
    const d = decode(encodePng(img));
    expect(d.colorType).toBe(2);
    expect(d.still).toEqual(img.data);
  });

  test("transparency: a palette with tRNS, or RGBA when it has too many colours", () => {
    const few = image(20, 10, (x) => (x < 10 ? [0, 0, 255, 128] : [0, 0, 0, 0]));
    const d = decode(encodePng(few));
    expect(d.colorType).toBe(3);
    expect(d.chunkTypes).toContain("tRNS");
    expect(d.still).toEqual(few.data);
    const many = image(64, 64, (x, y) => [x * 4, y * 4, 9, (x + y) * 2]);
    const m = decode(encodePng(many));
    expect(m.colorType).toBe(6);
    expect(m.still).toEqual(many.data);
  });

  test("anti-aliasing-like rare colours go to their nearest palette colour, within the tolerance", () => {
    // 250 common colours (~200 pixels each) and 200 rare ones (1 pixel each, 0.4% of the image) that differ from a common one by 3
    const img = image(250, 200, (x, y) => {
      const p = y * 250 + x;
      if (p < 200 * 5 && p % 5 === 0) { const k = p / 5; return [k % 250, 100, 3, 255]; } // rare: 3 away from common k
      const k = p % 250;
      return [k, 100, 0, 255];
    });
    const d = decode(encodePng(img));
    expect(d.colorType).toBe(3);
    expect(maxChannelError(d.still, img.data)).toBe(3);
    // tighter tolerances force lossless storage
    expect(decode(encodePng(img, { maxRemapDistance: 0 })).colorType).toBe(2);
    expect(decode(encodePng(img, { maxRemappedFraction: 0.003 })).colorType).toBe(2);
  });

  test("a size that does not match the data names both", () => {
    expect(() => encodePng({ width: 4, height: 4, data: new Uint8Array(10) })).toThrow(/4×4 needs 64 RGBA bytes, got 10/);
  });
});

describe("encodeApng", () => {
  const frames = [squareAt(0, 0), squareAt(5, 2), squareAt(5, 2), squareAt(12, 8), squareAt(20, 15), squareAt(30, 19)];

  test("chunks: acTL counts the frames (a repeated frame merged), sequence numbers run 0…n without gaps", () => {
    const { png, summary } = encodeApng(frames, { delayMs: 40 });
    const d = decode(png);
    expect(d.animation).toEqual({ frames: 5, plays: 0 });
    expect(summary).toMatchObject({ frames: 5, durationMs: 240, colorType: 3 });
    expect(d.controls).toHaveLength(5);
    expect(d.sequence).toEqual(d.sequence.map((_, i) => i));
    expect(d.chunkTypes.filter((t) => t === "fdAT")).toHaveLength(4); // frame 0 is the IDAT
    expect(d.chunkTypes.indexOf("fcTL")).toBeLessThan(d.chunkTypes.indexOf("IDAT"));
    // the first frame covers the canvas; later ones only the rectangle that changed
    expect(d.controls[0]).toMatchObject({ x: 0, y: 0, width: 40, height: 30 });
    for (const fc of d.controls.slice(1)) expect(fc.width * fc.height).toBeLessThan(40 * 30);
    expect(d.controls.map((c) => c.delayMs)).toEqual([40, 80, 40, 40, 40]);
  });

  test("decoding every frame gives back the pictures that went in", () => {
    const d = decode(encodeApng(frames, { delayMs: 40 }).png);
    const distinct = [frames[0], frames[1], frames[3], frames[4], frames[5]];
    d.canvases.forEach((canvas, i) => expect(canvas, `frame ${i}`).toEqual(distinct[i].data));
    expect(d.still).toEqual(frames[0].data); // no poster: the first frame is the default image
  });

  test("a poster is the default image and not a frame of the animation", () => {
    const poster = image(40, 30, () => [0, 128, 0, 255]);
    const d = decode(encodeApng(frames, { delayMs: [10, 20, 30, 40, 50, 60], poster, loops: 3 }).png);
    expect(d.animation).toEqual({ frames: 5, plays: 3 });
    expect(d.still).toEqual(poster.data);
    expect(d.chunkTypes.indexOf("IDAT")).toBeLessThan(d.chunkTypes.indexOf("fcTL")); // IDAT before any fcTL
    expect(d.chunkTypes.filter((t) => t === "fdAT")).toHaveLength(5);
    expect(d.canvases[4]).toEqual(frames[5].data);
    expect(d.controls.map((c) => c.delayMs)).toEqual([10, 50, 40, 50, 60]);
  });

  test("errors name the frame and what was expected", () => {
    expect(() => encodeApng([squareAt(0, 0), image(10, 10, () => [0, 0, 0, 255])], { delayMs: 40 })).toThrow(/frame 1 is 10×10, expected 40×30/);
    expect(() => encodeApng(frames, { delayMs: [40, 40] })).toThrow(/2 delays for 6 frames/);
    expect(() => encodeApng(frames, { delayMs: -1 })).toThrow(/delay of frame 0 is -1/);
    expect(() => encodeApng([], { delayMs: 40 })).toThrow(/no frames/);
  });
});

describe("pictures from SVG", () => {
  const svgOf = (x: number) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"><rect width="100%" height="100%" fill="white"/><circle cx="${x}" cy="40" r="10" fill="#4c78a8"/></svg>`;

  test("svgBundle: a PNG at the requested scale, text, and no SVG", () => {
    const b = svgBundle(svgOf(30), { scale: 2 });
    expect(Object.keys(b).sort()).toEqual(["image/png", "text/plain"]);
    const png = Buffer.from(b["image/png"] as string, "base64");
    expect(readPngHeader(png)).toMatchObject({ width: 240, height: 160 });
    expect(pngDisplaySize(png)).toMatchObject({ width: 120, height: 80 });
    expect(b["text/plain"]).toBe("<picture 120×80>");
  });

  test("animationBundle: an APNG of the frames with the poster as its still", async () => {
    const frames = [20, 40, 60, 80, 100].map(svgOf);
    const b = await animationBundle(frames, { fps: 10, holdLastMs: 500, poster: svgOf(60) });
    const d = decode(Buffer.from(b["image/png"] as string, "base64"));
    expect(d.animation).toEqual({ frames: 5, plays: 0 });
    expect(d.controls.map((c) => c.delayMs)).toEqual([100, 100, 100, 100, 600]);
    expect(d.still).toEqual(d.canvases[2]); // the poster is the middle frame's drawing
    expect(d.canvases[0]).not.toEqual(d.canvases[4]);
    expect(b["text/plain"]).toBe("<animation: 5 frames, 1.0 s, 120×80>");
    await expect(animationBundle([svgOf(1), svgOf(2).replace('width="120"', 'width="100"')])).rejects.toThrow(/frame 1 is 100×80 px, expected 120×80/);
  });
});

describe("CartPole pictures", () => {
  // a lively 500-step episode: the cart sweeps most of the track and the pole swings ±8.6°
  const states = Array.from({ length: 500 }, (_, t) => [1.5 * Math.sin(t / 80), 0, 0.15 * Math.sin(t / 9), 0] as [number, number, number, number]);

  itSlow("cartPoleAnimation: a 500-step episode is an APNG under 300 KB that plays in real time, with an overview as its still", async () => {
    const b = await cartPoleAnimation(states, { label: "test episode" });
    const png = Buffer.from(b["image/png"] as string, "base64");
    expect(png.length).toBeLessThan(300_000);
    const d = decode(png);
    expect([d.width, d.height]).toEqual([480, 320]);
    expect(d.animation!.frames).toBe(251); // every 2nd state (25 fps) and the last one
    const seconds = d.controls.reduce((t, c) => t + c.delayMs, 0) / 1000;
    expect(seconds).toBeCloseTo(500 * 0.02 + 1, 6); // the episode's 10 s, then the last frame held 1 s
    expect(d.still).not.toEqual(d.canvases[0]); // the default image is the overview, not frame 0
    expect(d.canvases[0]).not.toEqual(d.canvases[125]);
    expect(b["text/plain"]).toBe("<CartPole episode: 500 steps (10.0 s), animated PNG of 251 frames>");
    expect(Object.keys(b)).not.toContain("image/svg+xml");
  });

  test("a frame of the animation is the picture renderCartPoleSvg draws for that state", async () => {
    const b = await cartPoleAnimation(states.slice(0, 21), { fps: 10 }); // every 5th state: 0, 5, 10, 15, 20
    const d = decode(Buffer.from(b["image/png"] as string, "base64"));
    expect(d.animation!.frames).toBe(5);
    // same pixels as drawing state 10 on its own, up to the palette's allowed stand-ins for rare edge colours
    const alone = (i: number) => rasterizeSvg(renderCartPoleSvg(states[i], { width: 480 }), { scale: 1 }).data;
    expect(maxChannelError(d.canvases[2], alone(10))).toBeLessThanOrEqual(40);
    expect(maxChannelError(d.canvases[2], alone(5))).toBeGreaterThan(200); // a neighbouring frame is visibly different
  });

  test("renderCartPoleStrip: k captioned pictures side by side, first and last step included", () => {
    const svg = renderCartPoleStrip(states, { frames: 5, label: "strip" });
    expect(svg.match(/step \d+ of 500/g)).toEqual(["step 1 of 500", "step 126 of 500", "step 251 of 500", "step 375 of 500", "step 500 of 500"]);
    const png = Buffer.from(svgBundle(svg, { scale: 1 })["image/png"] as string, "base64");
    expect(readPngHeader(png).width).toBe(5 * 200 + 4 * 8);
  });

  test("bad input is named", async () => {
    await expect(async () => cartPoleAnimation([])).rejects.toThrow(/no states/);
    await expect(async () => cartPoleAnimation(states, { fps: 60 })).rejects.toThrow(/fps must be in \(0, 50\], got 60/);
    expect(() => renderCartPoleStrip(states, { frames: 0 })).toThrow(/frames must be a positive integer, got 0/);
  });
});
