/**
 * Pictures of LunarLander, drawn like Gymnasium's pygame renderer: a 600×400 frame with a black sky
 * above the white moon, the helipad's two yellow flags, the lander's hull and legs in
 * (128, 102, 230) outlined in (77, 77, 128), and the engines' exhaust as small particles that fade
 * from red to grey. `env.render()` gives the current frame; `recordLunarLanderEpisode` keeps the
 * frames of a whole episode and `lunarLanderAnimation` turns them into an animated PNG.
 */
import type { MimeBundle } from "../../viz/display";
import { animationBundle } from "../../viz/picture";
import { COLORS, FPS, H, LANDER_POLY, LEG_H, LEG_W, MAIN_ENGINE_POWER, SCALE, SIDE_ENGINE_POWER, VIEWPORT_H, VIEWPORT_W } from "./constants";
import type { LunarLanderTerrain } from "./terrain";
import type { EngineExhaust, LunarLanderWorld } from "./world";

export interface LunarLanderPose {
  x: number;
  y: number;
  angle: number;
}

/** Exhaust particle: position (m) and time to live (1 → 0; it fades with it). */
export interface ExhaustParticle {
  x: number;
  y: number;
  ttl: number;
}

/** What a picture of one moment needs; `env.frame()` makes one. */
export interface LunarLanderFrame {
  readonly terrain: LunarLanderTerrain;
  /** Steps taken since reset. */
  readonly step: number;
  readonly lander: LunarLanderPose;
  readonly legs: readonly [LunarLanderPose, LunarLanderPose];
  readonly legContact: readonly [boolean, boolean];
  readonly particles: readonly ExhaustParticle[];
}

// ─── Exhaust particles ──────────────────────────────────────────────────────────────────────────
// In Gymnasium each firing engine shoots a small Box2D circle (radius 2 px) with the engine's
// impulse; it lives while its ttl (the throttle) loses 0.15 per frame and only touches the ground.
// Here they are decoration, moved outside the physics world in a fixed ring with no allocation.

const MAX_PARTICLES = 48;
const PARTICLE_RADIUS = 2 / SCALE;
/** Particle masses: density × π r² with Gymnasium's densities 3.5 (main) and 0.7 (side). */
const MAIN_PARTICLE_MASS = 3.5 * Math.PI * PARTICLE_RADIUS ** 2;
const SIDE_PARTICLE_MASS = 0.7 * Math.PI * PARTICLE_RADIUS ** 2;
const TTL_DECAY = 0.15;
const PARTICLE_RESTITUTION = 0.3;

export class ExhaustTrail {
  // x, y, vx, vy, ttl per particle, oldest first from `start`
  private readonly data = new Float64Array(MAX_PARTICLES * 5);
  private start = 0;
  private count = 0;

  clear(): void {
    this.start = 0;
    this.count = 0;
  }

  /** Ages and moves the particles by one frame, drops the dead, then adds this step's exhaust. */
  advance(w: LunarLanderWorld, terrain: LunarLanderTerrain, gravity: number): void {
    const d = this.data, dt = 1 / FPS;
    for (let k = 0; k < this.count; k++) {
      const o = ((this.start + k) % MAX_PARTICLES) * 5;
      d[o + 4] -= TTL_DECAY;
      d[o + 3] += gravity * dt;
      d[o] += d[o + 2] * dt;
      d[o + 1] += d[o + 3] * dt;
      const ground = groundHeight(terrain, d[o]) + PARTICLE_RADIUS;
      if (d[o + 1] < ground) {
        d[o + 1] = ground;
        d[o + 3] = -PARTICLE_RESTITUTION * d[o + 3];
      }
    }
    while (this.count > 0 && d[this.start * 5 + 4] < 0) {
      this.start = (this.start + 1) % MAX_PARTICLES;
      this.count--;
    }
    this.emit(w.main, MAIN_ENGINE_POWER, MAIN_PARTICLE_MASS);
    this.emit(w.side, SIDE_ENGINE_POWER, SIDE_PARTICLE_MASS);
  }

  private emit(e: EngineExhaust, power: number, mass: number): void {
    if (e.power <= 0) return;
    if (this.count === MAX_PARTICLES) {
      this.start = (this.start + 1) % MAX_PARTICLES;
      this.count--;
    }
    const o = ((this.start + this.count) % MAX_PARTICLES) * 5;
    const d = this.data;
    d[o] = e.x;
    d[o + 1] = e.y;
    d[o + 2] = (e.dx * power * e.power) / mass;
    d[o + 3] = (e.dy * power * e.power) / mass;
    d[o + 4] = e.power;
    this.count++;
  }

  particles(): ExhaustParticle[] {
    const out: ExhaustParticle[] = [];
    for (let k = 0; k < this.count; k++) {
      const o = ((this.start + k) % MAX_PARTICLES) * 5;
      out.push({ x: this.data[o], y: this.data[o + 1], ttl: this.data[o + 4] });
    }
    return out;
  }
}

/** Height of the terrain (m) at x, linear between the chunk points. */
function groundHeight(t: LunarLanderTerrain, x: number): number {
  const { chunkX, smoothY } = t;
  if (x <= chunkX[0]) return smoothY[0];
  const last = chunkX.length - 1;
  if (x >= chunkX[last]) return smoothY[last];
  const step = chunkX[1] - chunkX[0];
  const i = Math.min(last - 1, Math.floor(x / step));
  const f = (x - chunkX[i]) / step;
  return smoothY[i] + f * (smoothY[i + 1] - smoothY[i]);
}

// ─── SVG ────────────────────────────────────────────────────────────────────────────────────────

const rgb = (c: readonly number[]) => `rgb(${c[0]},${c[1]},${c[2]})`;
const round2 = (v: number) => Math.round(v * 100) / 100;
/** World metres → picture pixels (SVG's y grows downwards; the original flips its surface). */
const px = (x: number) => round2(x * SCALE);
const py = (y: number) => round2(VIEWPORT_H - y * SCALE);

function polygon(points: readonly (readonly [number, number])[], fill: string, stroke?: string): string {
  const pts = points.map(([x, y]) => `${px(x)},${py(y)}`).join(" ");
  return `<polygon points="${pts}" fill="${fill}"${stroke ? ` stroke="${stroke}" stroke-width="1" stroke-linejoin="round"` : ""}/>`;
}

function transformed(pose: LunarLanderPose, local: readonly (readonly [number, number])[]): [number, number][] {
  const c = Math.cos(pose.angle), s = Math.sin(pose.angle);
  return local.map(([x, y]) => [pose.x + c * x - s * y, pose.y + s * x + c * y]);
}

const HULL = LANDER_POLY.map(([x, y]) => [x / SCALE, y / SCALE] as const);
const LEG_BOX = [[-LEG_W / SCALE, -LEG_H / SCALE], [LEG_W / SCALE, -LEG_H / SCALE], [LEG_W / SCALE, LEG_H / SCALE], [-LEG_W / SCALE, LEG_H / SCALE]] as const;

/** The sky: everything above the terrain line, as one polygon (the original's `sky_polys`). */
function skyShape(t: LunarLanderTerrain): string {
  const pts: [number, number][] = [[t.chunkX[0], H]];
  t.chunkX.forEach((x, i) => pts.push([x, t.smoothY[i]]));
  pts.push([t.chunkX[t.chunkX.length - 1], H]);
  return polygon(pts, rgb(COLORS.sky));
}

function flagShapes(t: LunarLanderTerrain): string {
  return [t.helipadX1, t.helipadX2]
    .map((x) => {
      const X = px(x), y1 = py(t.helipadY), y2 = y1 - 50; // a 50 px pole, a 25 px pennant at its top
      return (
        `<line x1="${X}" y1="${y1}" x2="${X}" y2="${y2}" stroke="${rgb(COLORS.flagPole)}" stroke-width="1"/>` +
        `<polygon points="${X},${y2} ${X},${y2 + 10} ${X + 25},${y2 + 5}" fill="${rgb(COLORS.flag)}"/>`
      );
    })
    .join("");
}

function particleShapes(particles: readonly ExhaustParticle[]): string {
  return particles
    .map((p) => {
      // Gymnasium's particle colour from its time to live
      const r = Math.floor(Math.max(0.2, Math.min(1, 0.15 + p.ttl)) * 255);
      const g = Math.floor(Math.max(0.2, 0.5 * p.ttl) * 255);
      return `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="${PARTICLE_RADIUS * SCALE}" fill="rgb(${r},${g},${g})"/>`;
    })
    .join("");
}

/** The lander's hull and legs at one moment, as SVG elements (legs over the hull, as drawn there). */
function landerShapes(f: LunarLanderFrame, opacity = 1): string {
  const fill = rgb(COLORS.landerFill), stroke = rgb(COLORS.landerOutline);
  const shapes = [polygon(transformed(f.lander, HULL), fill, stroke), ...f.legs.map((leg) => polygon(transformed(leg, LEG_BOX), fill, stroke))].join("");
  return opacity === 1 ? shapes : `<g opacity="${opacity}">${shapes}</g>`;
}

function svgOpen(width: number): string {
  const height = (width * VIEWPORT_H) / VIEWPORT_W;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${round2(height)}" viewBox="0 0 ${VIEWPORT_W} ${VIEWPORT_H}">` +
    `<rect width="${VIEWPORT_W}" height="${VIEWPORT_H}" fill="${rgb(COLORS.ground)}"/>`
  );
}

function labelText(label: string, y = 24): string {
  return `<text x="10" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="16" fill="white">${escapeXml(label)}</text>`;
}

export interface LunarLanderPictureOptions {
  /** Picture width in px (default 600; the height is 2/3 of it). */
  width?: number;
  /** A line of text in the top-left corner. */
  label?: string;
}

/** One frame as a 600×400 SVG picture, drawn like Gymnasium's renderer. */
export function renderLunarLanderSvg(frame: LunarLanderFrame, opts: LunarLanderPictureOptions = {}): string {
  const width = checkWidth(opts.width ?? VIEWPORT_W);
  return [
    svgOpen(width),
    skyShape(frame.terrain),
    particleShapes(frame.particles),
    landerShapes(frame),
    flagShapes(frame.terrain),
    opts.label ? labelText(opts.label) : "",
    `</svg>`,
  ].join("");
}

/**
 * One still picture of an episode: the lander's path as a line, a few moments drawn faint and the
 * last one solid. The poster of `lunarLanderAnimation` (what a viewer without APNG shows).
 */
export function renderLunarLanderOverview(frames: readonly LunarLanderFrame[], opts: LunarLanderPictureOptions & { count?: number } = {}): string {
  if (frames.length === 0) throw new RangeError("renderLunarLanderOverview: no frames to draw");
  const width = checkWidth(opts.width ?? VIEWPORT_W);
  const last = frames[frames.length - 1];
  const picks = evenIndices(frames.length, opts.count ?? 6);
  const path = frames.map((f) => `${px(f.lander.x)},${py(f.lander.y)}`).join(" ");
  return [
    svgOpen(width),
    skyShape(last.terrain),
    `<polyline points="${path}" fill="none" stroke="rgb(255,140,80)" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    ...picks.slice(0, -1).map((i, k) => landerShapes(frames[i], 0.25 + (0.45 * k) / picks.length)),
    landerShapes(last),
    flagShapes(last.terrain),
    opts.label ? labelText(opts.label) : "",
    `<text x="10" y="${VIEWPORT_H - 10}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="black">${frames.length - 1} steps; path of the lander, ${picks.length} moments faint to solid</text>`,
    `</svg>`,
  ].join("");
}

export interface LunarLanderAnimationOptions {
  /** Frames per second of the animation (default 25: every 2nd of the 50 steps a second, real time). */
  fps?: number;
  /** At most this many frames (default 250); a longer episode is subsampled further and still plays in real time. */
  maxFrames?: number;
  /** Picture width in px (default 480). */
  width?: number;
  /** A line of text in the corner of every frame. */
  label?: string;
}

/**
 * An episode's frames (from `recordLunarLanderEpisode`) as an animated PNG bundle; the still image
 * for viewers without APNG support is `renderLunarLanderOverview`.
 *
 * @example
 *   const ep = recordLunarLanderEpisode((obs) => lunarLanderHeuristic(obs), { seed: 1 });
 *   display(await lunarLanderAnimation(ep.frames, { label: `heuristic: ${ep.totalReward.toFixed(0)}` }))
 */
export function lunarLanderAnimation(frames: readonly LunarLanderFrame[], opts: LunarLanderAnimationOptions = {}): Promise<MimeBundle> {
  if (frames.length === 0) throw new RangeError("lunarLanderAnimation: no frames to draw");
  const fps = opts.fps ?? 25;
  if (!(fps > 0 && fps <= FPS)) throw new RangeError(`lunarLanderAnimation: fps must be in (0, ${FPS}], got ${fps}`);
  const maxFrames = opts.maxFrames ?? 250;
  if (!(Number.isInteger(maxFrames) && maxFrames >= 1)) throw new RangeError(`lunarLanderAnimation: maxFrames must be a positive integer, got ${maxFrames}`);
  const stride = Math.max(Math.round(FPS / fps), Math.ceil(frames.length / maxFrames));
  const picks: number[] = [];
  for (let i = 0; i < frames.length; i += stride) picks.push(i);
  if (picks[picks.length - 1] !== frames.length - 1) picks.push(frames.length - 1); // end on the final frame
  const width = opts.width ?? 480;
  const svgs = picks.map((i) => renderLunarLanderSvg(frames[i], { width, label: opts.label }));
  const delayMs = picks.map((i, k) => ((k + 1 < picks.length ? picks[k + 1] : i + 1) - i) * (1000 / FPS));
  const steps = frames.length - 1;
  return animationBundle(svgs, {
    delayMs,
    poster: renderLunarLanderOverview(frames, { width, label: opts.label }),
    text: `<LunarLander episode: ${steps} steps (${(steps / FPS).toFixed(1)} s), animated PNG of ${svgs.length} frames>`,
  });
}

function checkWidth(width: number): number {
  if (!(Number.isFinite(width) && width >= 60)) throw new RangeError(`LunarLander picture width must be at least 60 px, got ${width}`);
  return width;
}

/** `count` indices spread evenly over 0..n-1, including the first and the last. */
function evenIndices(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, j) => Math.round((j * (n - 1)) / (count - 1)));
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}
