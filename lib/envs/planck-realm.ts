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
 * are planck's own.
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
  return { planck: sandbox.module.exports as unknown as typeof Planck, vec2, context };
}

const realm = ((globalThis as Record<symbol, unknown>)[PLANCK] ??= load()) as PlanckRealm;

/** The planck module of this process's planck realm (one per process, shared by every module copy). */
export const planck: typeof Planck = realm.planck;

/** A vector for planck, made in its realm (use it for anything handed to planck in a hot path). */
export const vec2 = realm.vec2;

/**
 * A copy of `fn` compiled inside the realm, for code planck calls in its hot loops: V8 does not
 * inline across realms, so a solver step we install on a planck object must live in planck's realm.
 * `fn` must be self-contained: it may use only its arguments, `this` and the given constants.
 */
export function compileInRealm<F extends (...args: never[]) => unknown>(fn: F, constants: Record<string, number> = {}): F {
  const decls = Object.entries(constants).map(([k, v]) => `const ${k} = ${JSON.stringify(v)};`).join(" ");
  return vm.runInContext(`(() => { "use strict"; ${decls} return (${fn.toString()}); })()`, realm.context) as F;
}
