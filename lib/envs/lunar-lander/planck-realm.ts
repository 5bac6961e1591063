/**
 * planck (the Box2D port LunarLander runs on), loaded in a realm of its own.
 *
 * Why: V8 gives object literals with the same keys in the same order — `{ x, y }` — the same hidden
 * class throughout a realm, and records what their fields hold. planck's vectors are `{ x, y }`
 * literals holding doubles, and its compiled solver relies on that. The moment any other code in
 * the realm makes an `{ x, y }` holding something else — a vega-lite spec's
 * `encoding: { x: { field: … }, y: { … } }`, a notebook cell's `{ x: "a", y: 1 }` — V8 widens those
 * fields for every `{ x, y }` object and throws away planck's optimised code. Measured: LunarLander
 * fell from ~48k to ~24k steps/s for the rest of the process after building one chart spec, and a
 * notebook's 1M-step PPO run took 189 s against 104 s from the command line. In a vm context of
 * its own, planck's literals have hidden classes that nothing outside can widen.
 *
 * The module is the published UMD build (dist/planck.js), run once per process; the API and types
 * are planck's own, with one mend (below) for the version we pin.
 *
 * Why planck 1.4.2 and a mend: 1.4.3 and later declare Node ≥ 24 (npm warns EBADENGINE on our
 * Node ≥ 20.19), 1.4.2 declares Node ≥ 14 and differs from 1.4.3 by one typo: its addVec2 writes
 * `out.y = v.x + w.y`, so PolygonShape.computeMass puts a polygon's centre of mass at y = cx + s.y
 * instead of cy + s.y (LunarLander's hull 0.024 m too low). When the loaded planck has the typo
 * (checked on a polygon and its mirror image), computeMass is replaced by 1.4.3's, operation for
 * operation, so the results are those of planck 1.4.3 and 1.5.0 to the last bit.
 */
import * as fs from "node:fs";
import * as vm from "node:vm";
import type * as Planck from "planck";

const PLANCK = Symbol.for("tsrl.planckRealm");

interface PlanckRealm {
  planck: typeof Planck;
  /** `{ x, y }` made inside the realm: the vectors our code hands to planck share planck's hidden classes. */
  vec2(x: number, y: number): { x: number; y: number };
  context: vm.Context;
}

function load(): PlanckRealm {
  const file = require.resolve("planck/dist/planck.js");
  const sandbox = { module: { exports: {} as Record<string, unknown> }, exports: {} as Record<string, unknown>, console };
  sandbox.exports = sandbox.module.exports;
  const context = vm.createContext(sandbox, { name: "planck" });
  // Globals in a vm context are looked up through the sandbox's interceptors, which is slow in hot
  // code (planck reads Math in every vector operation): bind the builtins it uses as parameters.
  const builtins = ["Math", "Object", "Array", "Number", "Symbol", "Map", "Set", "WeakMap", "Float32Array", "Float64Array", "Int32Array", "Uint8Array", "Error", "TypeError", "RangeError", "JSON", "String", "Boolean", "Date", "Promise", "isFinite", "isNaN", "parseFloat", "parseInt", "Infinity", "NaN"];
  const wrapped = `(function (${builtins.join(", ")}) {\n${fs.readFileSync(file, "utf8")}\n}).call(this, ${builtins.join(", ")});`;
  vm.runInContext(wrapped, context, { filename: file, lineOffset: -1 });
  const vec2 = vm.runInContext("(x, y) => ({ x: x, y: y })", context) as PlanckRealm["vec2"];
  const planck = sandbox.module.exports as unknown as typeof Planck;
  if (!centroidIsRight(planck, vec2)) {
    const mended = vm.runInContext(`(() => { "use strict"; return (${polygonMass.toString()}); })()`, context) as typeof polygonMass;
    (planck.Polygon.prototype as unknown as { computeMass: typeof polygonMass }).computeMass = mended;
    if (!centroidIsRight(planck, vec2)) throw new Error("planck: could not mend PolygonShape.computeMass (see planck-realm.ts)");
  }
  return { planck, vec2, context };
}

/** A polygon's centroid, mirrored across y = x, must come out mirrored: (a, b) and (b, a). */
function centroidIsRight(p: typeof Planck, vec2: PlanckRealm["vec2"]): boolean {
  const corners: [number, number][] = [[0, 0], [4, 0], [4, 1], [0, 3]];
  const centre = (points: [number, number][]) => {
    const mass = { mass: 0, center: vec2(0, 0), I: 0 };
    new p.Polygon(points.map(([x, y]) => vec2(x, y))).computeMass(mass, 1);
    return mass.center;
  };
  const a = centre(corners), b = centre(corners.map(([x, y]) => [y, x]));
  return Math.abs(a.x - b.y) < 1e-12 && Math.abs(a.y - b.x) < 1e-12;
}

/** planck 1.4.3's PolygonShape.computeMass on scalars (same operations in the same order). */
function polygonMass(this: { m_count: number; m_vertices: { x: number; y: number }[] }, massData: { mass: number; center: { x: number; y: number }; I: number }, density: number): void {
  const n = this.m_count, v = this.m_vertices;
  // s: the mean of the corners, a reference point inside the polygon (fewer rounding errors)
  let sx = 0, sy = 0;
  for (let i = 0; i < n; ++i) {
    sx += v[i].x;
    sy += v[i].y;
  }
  const invCount = 1 / n;
  sx = invCount * sx;
  sy = invCount * sy;
  const kInv3 = 1 / 3;
  let cx = 0, cy = 0, area = 0, inertia = 0;
  for (let i = 0; i < n; ++i) {
    const w = i + 1 < n ? v[i + 1] : v[0];
    const ex1 = v[i].x - sx, ey1 = v[i].y - sy, ex2 = w.x - sx, ey2 = w.y - sy;
    const d = ex1 * ey2 - ey1 * ex2;
    const triangleArea = 0.5 * d;
    area += triangleArea;
    cx += triangleArea * kInv3 * ex1 + triangleArea * kInv3 * ex2;
    cy += triangleArea * kInv3 * ey1 + triangleArea * kInv3 * ey2;
    const intx2 = ex1 * ex1 + ex2 * ex1 + ex2 * ex2;
    const inty2 = ey1 * ey1 + ey2 * ey1 + ey2 * ey2;
    inertia += 0.25 * kInv3 * d * (intx2 + inty2);
  }
  massData.mass = density * area;
  const invArea = 1 / area;
  cx = invArea * cx;
  cy = invArea * cy;
  massData.center.x = cx + sx;
  massData.center.y = cy + sy;
  massData.I = density * inertia;
  massData.I += massData.mass * (massData.center.x * massData.center.x + massData.center.y * massData.center.y - (cx * cx + cy * cy));
}

const realm = ((globalThis as Record<symbol, unknown>)[PLANCK] ??= load()) as PlanckRealm;

/** The planck module of this process's planck realm (one per process, shared by every module copy). */
export const planck: typeof Planck = realm.planck;

/** A vector for planck, made in its realm (use it for anything handed to planck in a hot path). */
export const vec2 = realm.vec2;

/**
 * A copy of `fn` compiled inside the realm, for code planck calls in its hot loops: V8 does not
 * inline across realms, so a solver step we install on a planck object must live in planck's realm.
 * `fn` must be self-contained: it may use only its arguments, `this`, the given constants and
 * `Math` (handed in as a parameter, as planck gets it: a global lookup in the realm is slow).
 */
export function compileInRealm<F extends (...args: never[]) => unknown>(fn: F, constants: Record<string, number> = {}): F {
  const decls = Object.entries(constants).map(([k, v]) => `const ${k} = ${JSON.stringify(v)};`).join(" ");
  const factory = vm.runInContext(`(function (Math) { "use strict"; ${decls} return (${fn.toString()}); })`, realm.context) as (math: Math) => F;
  return factory(Math);
}
