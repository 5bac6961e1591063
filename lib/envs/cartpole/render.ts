/**
 * CartPole pictures: SVG strings drawn like Gymnasium's renderer (600×400 at the default width). For
 * a notebook, `cartPoleAnimation` turns an episode into an animated PNG and `renderCartPoleStrip`
 * lays a few moments side by side; `showSvg(env.render())` shows one frame as a PNG.
 */
import type { MimeBundle } from "../../viz/display";
import { animationBundle } from "../../viz/picture";
import { CARTPOLE, type CartPoleState } from "./physics";

/** Where things are drawn at a given picture width (everything scales with it). */
interface CartPoleGeometry {
  width: number;
  height: number;
  /** Pixels per metre of track. */
  scale: number;
  poleLen: number;
  poleW: number;
  cartW: number;
  cartH: number;
  /** y of the track line (SVG y grows downwards). */
  trackY: number;
  /** y of the pole's pivot. */
  axleY: number;
}

function cartPoleGeometry(width: number): CartPoleGeometry {
  if (!(Number.isFinite(width) && width >= 60)) throw new RangeError(`CartPole picture width must be at least 60 px, got ${width}`);
  const height = (width * 2) / 3;
  const scale = width / (CARTPOLE.xThreshold * 2);
  const cartH = (30 * width) / 600;
  const trackY = height - (100 * width) / 600;
  return { width, height, scale, poleLen: scale * 2 * CARTPOLE.length, poleW: (10 * width) / 600, cartW: (50 * width) / 600, cartH, trackY, axleY: trackY - cartH / 4 };
}

/** The cart, pole and pivot of one state, as SVG elements. */
function cartPoleShapes(state: Readonly<CartPoleState>, g: CartPoleGeometry, opacity = 1): string {
  const [x, , theta] = state;
  const cartX = x * g.scale + g.width / 2;
  const deg = (theta * 180) / Math.PI;
  const shapes = [
    `<rect x="${cartX - g.cartW / 2}" y="${g.trackY - g.cartH / 2}" width="${g.cartW}" height="${g.cartH}" fill="black"/>`,
    `<rect x="${cartX - g.poleW / 2}" y="${g.axleY - g.poleLen + g.poleW / 2}" width="${g.poleW}" height="${g.poleLen}" fill="rgb(202,152,101)" transform="rotate(${deg} ${cartX} ${g.axleY})"/>`,
    `<circle cx="${cartX}" cy="${g.axleY}" r="${g.poleW / 2}" fill="rgb(129,132,203)"/>`,
  ].join("");
  return opacity === 1 ? shapes : `<g opacity="${opacity}">${shapes}</g>`;
}

function textAt(x: number, y: number, size: number, text: string, anchor: "start" | "middle" = "start"): string {
  return `<text x="${x}" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="${size}"${anchor === "middle" ? ' text-anchor="middle"' : ""}>${escapeXml(text)}</text>`;
}

/** The label in the top-left corner: 16 px at the default 600 px width, scaled down with the picture (not below 12 px). */
function labelText(g: CartPoleGeometry, label: string): string {
  const size = 16 * Math.max(0.75, g.width / 600);
  return textAt(10, size + 6, size, label);
}

function svgOpen(width: number, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="white"/>`;
}

/** A 600×400 SVG picture of the cart and pole, drawn like Gymnasium's renderer. */
export function renderCartPoleSvg(state: Readonly<CartPoleState>, opts: { width?: number; label?: string } = {}): string {
  const g = cartPoleGeometry(opts.width ?? 600);
  return [
    svgOpen(g.width, g.height),
    `<line x1="0" y1="${g.trackY}" x2="${g.width}" y2="${g.trackY}" stroke="black"/>`,
    cartPoleShapes(state, g),
    opts.label ? labelText(g, opts.label) : "",
    `</svg>`,
  ].join("");
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

/** `count` indices spread evenly over 0..n-1, always including the first and the last. */
function evenIndices(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, j) => Math.round((j * (n - 1)) / (count - 1)));
}

/**
 * One still picture of a whole episode: `count` moments drawn over each other, faint to solid (the
 * last state solid). It is the default image of `cartPoleAnimation` — what a viewer without APNG
 * support shows — so it should tell the story on its own: how far the cart travelled and how far
 * the pole swung.
 */
export function renderCartPoleOverview(states: readonly Readonly<CartPoleState>[], opts: { width?: number; label?: string; count?: number } = {}): string {
  if (states.length === 0) throw new RangeError("renderCartPoleOverview: no states to draw");
  const g = cartPoleGeometry(opts.width ?? 600);
  const picks = evenIndices(states.length, opts.count ?? 8);
  const ghosts = picks.map((i, k) => cartPoleShapes(states[i], g, k === picks.length - 1 ? 1 : 0.12 + (0.5 * k) / picks.length));
  const caption = `${picks.length} moments of ${states.length} steps, faint to solid`;
  return [
    svgOpen(g.width, g.height),
    `<line x1="0" y1="${g.trackY}" x2="${g.width}" y2="${g.trackY}" stroke="black"/>`,
    ...ghosts,
    opts.label ? labelText(g, opts.label) : "",
    textAt(10, g.height - 10, 12, caption),
    `</svg>`,
  ].join("");
}

export interface CartPoleStripOptions {
  /** Pictures side by side (default 6): the first state, the last, and evenly spaced ones between. */
  frames?: number;
  /** Width of each picture in px (default 200). */
  frameWidth?: number;
  /** A title above the strip. */
  label?: string;
}

/**
 * A static strip of an episode: `frames` small pictures side by side, each captioned with its step.
 * For printouts and PDF exports, and next to `cartPoleAnimation` to read the episode at a glance.
 *
 * @example
 *   showSvg(renderCartPoleStrip(states, { frames: 6, label: "greedy policy, seed 10001" }))
 */
export function renderCartPoleStrip(states: readonly Readonly<CartPoleState>[], opts: CartPoleStripOptions = {}): string {
  if (states.length === 0) throw new RangeError("renderCartPoleStrip: no states to draw");
  const count = opts.frames ?? 6;
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`renderCartPoleStrip: frames must be a positive integer, got ${count}`);
  const g = cartPoleGeometry(opts.frameWidth ?? 200);
  const picks = evenIndices(states.length, count);
  const gap = 8, title = opts.label ? 26 : 0, caption = 18;
  const width = picks.length * g.width + (picks.length - 1) * gap;
  const height = title + g.height + caption;
  const panels = picks.map((i, k) => {
    const x0 = k * (g.width + gap);
    return [
      `<g transform="translate(${x0} ${title})">`,
      `<rect width="${g.width}" height="${g.height}" fill="none" stroke="#ddd"/>`,
      `<line x1="0" y1="${g.trackY}" x2="${g.width}" y2="${g.trackY}" stroke="black"/>`,
      cartPoleShapes(states[i], g),
      `</g>`,
      textAt(x0 + g.width / 2, title + g.height + 14, 12, `step ${i + 1} of ${states.length}`, "middle"),
    ].join("");
  });
  return [svgOpen(width, height), opts.label ? textAt(0, 18, 15, opts.label) : "", ...panels, `</svg>`].join("");
}

export interface CartPoleAnimationOptions {
  /**
   * Frames per second of the animation (default 25). The simulation runs at 50 steps a second
   * (tau = 0.02 s), so 25 fps draws every 2nd state and plays in real time.
   */
  fps?: number;
  /** At most this many frames (default 250); a longer episode is subsampled further (and still plays in real time). */
  maxFrames?: number;
  /** Picture width in px (default 480). */
  width?: number;
  /** A line of text in the corner of every frame. */
  label?: string;
}

/**
 * An episode as an animated PNG bundle (show it with `display(await …)`, or end a cell with it): the cart and pole move
 * through `states` in real time and the animation loops. The default image — what a viewer that
 * cannot play APNG shows — is `renderCartPoleOverview`. A 500-step episode at the defaults is
 * about 100–200 KB.
 *
 * @example
 *   display(await cartPoleAnimation(states, { label: `trained policy: ${states.length} steps` }))
 */
export function cartPoleAnimation(states: readonly Readonly<CartPoleState>[], opts: CartPoleAnimationOptions = {}): Promise<MimeBundle> {
  if (states.length === 0) throw new RangeError("cartPoleAnimation: no states to draw");
  const stepsPerSecond = 1 / CARTPOLE.tau;
  const fps = opts.fps ?? 25;
  if (!(fps > 0 && fps <= stepsPerSecond)) throw new RangeError(`cartPoleAnimation: fps must be in (0, ${stepsPerSecond}], got ${fps}`);
  const maxFrames = opts.maxFrames ?? 250;
  const stride = Math.max(Math.round(stepsPerSecond / fps), Math.ceil(states.length / maxFrames));
  const picks: number[] = [];
  for (let i = 0; i < states.length; i += stride) picks.push(i);
  if (picks[picks.length - 1] !== states.length - 1) picks.push(states.length - 1); // always end on the final state
  const width = opts.width ?? 480;
  const frames = picks.map((i) => renderCartPoleSvg(states[i], { width, label: opts.label }));
  const delayMs = picks.map((i, k) => ((k + 1 < picks.length ? picks[k + 1] : i + 1) - i) * CARTPOLE.tau * 1000);
  const seconds = states.length * CARTPOLE.tau;
  // the cart and pole stay in a band over the track (the pole is at its tallest upright): only it is redrawn
  const g = cartPoleGeometry(width);
  const top = Math.max(0, g.axleY - g.poleLen - g.poleW - 2), bottom = Math.min(g.height, g.trackY + g.cartH / 2 + 2);
  return animationBundle(frames, {
    delayMs,
    changingRegion: { x: 0, y: top, width: g.width, height: bottom - top },
    poster: renderCartPoleOverview(states, { width, label: opts.label }),
    text: `<CartPole episode: ${states.length} steps (${seconds.toFixed(1)} s), animated PNG of ${frames.length} frames>`,
  });
}
