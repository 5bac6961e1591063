/**
 * planck lives in a realm of its own (lib/envs/planck-realm.ts), so that `{ x, y }` objects made
 * elsewhere — chart specs, notebook cells — cannot widen the hidden class of its vectors and halve
 * LunarLander's speed. These tests check the isolation itself; `tsrl bench` measures the speed.
 */
import { describe, expect, it } from "vitest";
import { makeLunarLander } from "../lib/envs/lunar-lander";
import { compileInRealm, planck, vec2 } from "../lib/envs/planck-realm";

describe("planck's realm", () => {
  it("planck's objects and our vectors for it come from another realm than this code's", () => {
    const v = vec2(1, 2);
    expect(Object.getPrototypeOf(v)).not.toBe(Object.prototype);
    expect(v).toEqual({ x: 1, y: 2 });
    const world = new planck.World({ gravity: vec2(0, -10) });
    const body = world.createBody({ type: "dynamic", position: vec2(0, 5) });
    const p = body.getPosition();
    expect(Object.getPrototypeOf(Object.getPrototypeOf(p))).not.toBe(Object.prototype); // a realm Vec2
    expect([p.x, p.y]).toEqual([0, 5]);
  });

  it("compileInRealm builds a self-contained function in the realm, with constants", () => {
    // K is a constant supplied to the realm copy; declared here only so this file type-checks
    const K = 0;
    const f = compileInRealm(function add(this: { a: number }, b: number) { return this.a + b + K; }, { K: 10 });
    expect(f.call({ a: 1 }, 2)).toBe(13);
    expect(Object.getPrototypeOf(f)).not.toBe(Function.prototype);
  });

  it("the lander's world is built from realm vectors and still steps as before", () => {
    const env = makeLunarLander();
    env.reset({ seed: 1 });
    // widen this realm's { x, y } class on purpose, as a chart spec does; the env keeps working
    const polluters = Array.from({ length: 10 }, (_, i) => ({ x: `field${i}`, y: { field: "y" } }));
    let steps = 0;
    for (let done = false; !done && steps < 200; steps++) {
      const r = env.step(steps % 4);
      done = r.terminated || r.truncated;
    }
    expect(steps).toBeGreaterThan(10);
    expect(polluters).toHaveLength(10);
  });
});
