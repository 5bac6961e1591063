/**
 * planck lives in a realm of its own (lib/envs/lunar-lander/planck-realm.ts), so that `{ x, y }` objects made
 * elsewhere — chart specs, notebook cells — cannot widen the hidden class of its vectors and halve
 * LunarLander's speed. These tests check the isolation itself; `tsrl bench` measures the speed.
 */
import { describe, expect, it } from "vitest";
import { makeLunarLander } from "../lib/envs/lunar-lander/lunar-lander";
import { LANDER_POLY, SCALE } from "../lib/envs/lunar-lander/constants";
import { box2dBox } from "../lib/envs/lunar-lander/planck-box2d23";
import { compileInRealm, planck, vec2 } from "../lib/envs/lunar-lander/planck-realm";

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

describe("the realm's planck, as Box2D 2.3 computes", () => {
  it("a polygon's centre of mass and inertia: the lander's hull as Box2D 2.3 has it (planck 1.4.2's centroid typo mended)", () => {
    const mass = { mass: 0, center: vec2(0, 0), I: 0 };
    new planck.Polygon(LANDER_POLY.map(([x, y]) => vec2(x / SCALE, y / SCALE))).computeMass(mass, 5);
    // pybox2d 2.3.10 (float32): mass 4.8166666, centre (0, 0.101307), inertia about the origin 0.8333149
    expect(mass.mass).toBeCloseTo(4.8166666, 6);
    expect(mass.center.x).toBeCloseTo(0, 12);
    expect(mass.center.y).toBeCloseTo(0.101307, 6);
    expect(mass.I).toBeCloseTo(0.8333149, 6);
    // and an asymmetric quadrilateral against its centroid by hand: two triangles of the diagonal
    const quad = { mass: 0, center: vec2(0, 0), I: 0 };
    new planck.Polygon([vec2(0, 0), vec2(4, 0), vec2(4, 1), vec2(0, 3)]).computeMass(quad, 1);
    // (0,0),(4,0),(4,1): area 2, centroid (8/3, 1/3); (0,0),(4,1),(0,3): area 6, centroid (4/3, 4/3)
    expect(quad.mass).toBeCloseTo(8, 12);
    expect(quad.center.x).toBeCloseTo((2 * (8 / 3) + 6 * (4 / 3)) / 8, 12);
    expect(quad.center.y).toBeCloseTo((2 * (1 / 3) + 6 * (4 / 3)) / 8, 12);
  });

  it("box2dBox numbers a box's corners and faces as b2PolygonShape::SetAsBox: from (-hx, -hy), face 0 the bottom", () => {
    const box = box2dBox(2, 8) as unknown as { m_vertices: { x: number; y: number }[]; m_normals: { x: number; y: number }[] };
    expect(box.m_vertices.map((v) => [v.x, v.y])).toEqual([[-2, -8], [2, -8], [2, 8], [-2, 8]]);
    expect(box.m_normals.map((n) => [n.x + 0, n.y + 0])).toEqual([[0, -1], [1, 0], [0, 1], [-1, 0]]);
  });
});
