/**
 * LunarLander's physics: a planck (Box2D) world built as Gymnasium's `reset` builds its Box2D world
 * — the moon (static edges along the terrain), the lander's hull, two legs on motorised, limited
 * revolute joints — with the contact listener that sets the legs' ground-contact flags and
 * `gameOver` when the hull touches the ground, and the engines' impulses applied where the original
 * applies them. Where planck parts from Box2D 2.3 (the order of new contacts, a box's corner
 * numbering), planck-box2d23.ts brings the world back in line.
 */
import type { Body, Contact, World as PlanckWorld } from "planck";
import { box2dBox, useBox2dPairOrder } from "./planck-box2d23";
import { planck, vec2 } from "./planck-realm";
import { useAllocationFreeRevoluteSolver } from "./planck-revolute-solver";

const { Edge, Polygon, RevoluteJoint, World } = planck;
import {
  DEFAULT_FRICTION,
  FPS,
  GROUND_CATEGORY,
  H,
  LANDER_CATEGORY,
  LANDER_DENSITY,
  LANDER_FRICTION,
  LANDER_POLY,
  LEG_AWAY,
  LEG_CATEGORY,
  LEG_DENSITY,
  LEG_DOWN,
  LEG_H,
  LEG_SPRING_TORQUE,
  LEG_W,
  MAIN_ENGINE_POWER,
  MAIN_ENGINE_Y_LOCATION,
  POSITION_ITERATIONS,
  SCALE,
  SIDE_ENGINE_AWAY,
  SIDE_ENGINE_HEIGHT,
  SIDE_ENGINE_POWER,
  TERRAIN_FRICTION,
  VELOCITY_ITERATIONS,
  W,
} from "./constants";
import type { LunarLanderTerrain } from "./terrain";

/** Where the lander starts: the top centre of the viewport. */
export const INITIAL_X = W / 2;
export const INITIAL_Y = H;

/** One engine's exhaust on the last step (for pictures): nozzle point, direction of the gas, throttle. */
export interface EngineExhaust {
  x: number;
  y: number;
  /** The gas's direction (the opposite of the impulse on the lander), not normalised. */
  dx: number;
  dy: number;
  /** Throttle, 0 when the engine did not fire. */
  power: number;
}

export interface LunarLanderWorld {
  readonly world: PlanckWorld;
  readonly moon: Body;
  readonly lander: Body;
  readonly legs: readonly [Body, Body];
  /** Each leg's ground contact, kept by the contact listener (Gymnasium's `leg.ground_contact`). */
  readonly legContact: [boolean, boolean];
  /** The hull touched the ground (Gymnasium's `game_over`). */
  gameOver: boolean;
  /** The main and side engines' exhaust on the last step (power 0 when they did not fire). */
  readonly main: EngineExhaust;
  readonly side: EngineExhaust;
}

/** Builds a new world, as Gymnasium does at every reset. The caller applies the initial force. */
export function createLunarLanderWorld(terrain: LunarLanderTerrain, gravity: number): LunarLanderWorld {
  const world = new World({ gravity: vec2(0, gravity) });
  useBox2dPairOrder(world);

  // The moon: a flat edge along y = 0 (default fixture, as `shapes=edgeShape(...)` makes), then one
  // edge per terrain chunk.
  const moon = world.createBody({ type: "static" });
  moon.createFixture(new Edge(vec2(0, 0), vec2(W, 0)), { density: 0, friction: DEFAULT_FRICTION });
  const { chunkX, smoothY } = terrain;
  for (let i = 0; i < chunkX.length - 1; i++) {
    moon.createFixture(new Edge(vec2(chunkX[i], smoothY[i]), vec2(chunkX[i + 1], smoothY[i + 1])), { density: 0, friction: TERRAIN_FRICTION });
  }

  const lander = world.createBody({ type: "dynamic", position: vec2(INITIAL_X, INITIAL_Y), angle: 0 });
  lander.createFixture(new Polygon(LANDER_POLY.map(([x, y]) => vec2(x / SCALE, y / SCALE))), {
    density: LANDER_DENSITY,
    friction: LANDER_FRICTION,
    restitution: 0,
    filterCategoryBits: LANDER_CATEGORY,
    filterMaskBits: GROUND_CATEGORY,
  });

  const legs: Body[] = [];
  for (const i of [-1, 1]) {
    const legAngle = i * 0.05;
    const leg = world.createBody({ type: "dynamic", position: vec2(INITIAL_X - (i * LEG_AWAY) / SCALE, INITIAL_Y), angle: legAngle });
    leg.createFixture(box2dBox(LEG_W / SCALE, LEG_H / SCALE), {
      density: LEG_DENSITY,
      friction: DEFAULT_FRICTION,
      restitution: 0,
      filterCategoryBits: LEG_CATEGORY,
      filterMaskBits: GROUND_CATEGORY,
    });
    // referenceAngle: the bodies' angle difference at creation, leg − hull = ±0.05 rad, as pybox2d's
    // `revoluteJointDef(bodyA=…, bodyB=…)` sets it (Box2D_joints.i: `referenceAngle = bodyB.angle −
    // bodyA.angle` unless given), so the joint angle starts at 0. With 0 instead, the joint angle
    // was off by 0.05 rad and the legs hit their limits 8 steps early, at step 15–16 of every episode
    // (issue 14). The limits are "the most esoteric numbers" of the original.
    const joint = world.createJoint(
      new RevoluteJoint({
        bodyA: lander,
        bodyB: leg,
        localAnchorA: vec2(0, 0),
        localAnchorB: vec2((i * LEG_AWAY) / SCALE, LEG_DOWN / SCALE),
        referenceAngle: legAngle - 0, // hull angle 0
        enableMotor: true,
        enableLimit: true,
        maxMotorTorque: LEG_SPRING_TORQUE,
        motorSpeed: 0.3 * i, // low enough not to jump back into the sky
        lowerAngle: i === -1 ? 0.9 - 0.5 : -0.9,
        upperAngle: i === -1 ? 0.9 : -0.9 + 0.5,
      }),
    );
    if (joint && lunarLanderPhysicsSettings.allocationFreeJoints) useAllocationFreeRevoluteSolver(joint);
    legs.push(leg);
  }

  const state: LunarLanderWorld = {
    world,
    moon,
    lander,
    legs: [legs[0], legs[1]],
    legContact: [false, false],
    gameOver: false,
    main: { x: 0, y: 0, dx: 0, dy: 0, power: 0 },
    side: { x: 0, y: 0, dx: 0, dy: 0, power: 0 },
  };
  world.on("begin-contact", (contact: Contact) => {
    const a = contact.getFixtureA().getBody(), b = contact.getFixtureB().getBody();
    if (a === lander || b === lander) state.gameOver = true;
    for (let i = 0; i < 2; i++) if (a === legs[i] || b === legs[i]) state.legContact[i] = true;
  });
  world.on("end-contact", (contact: Contact) => {
    const a = contact.getFixtureA().getBody(), b = contact.getFixtureB().getBody();
    for (let i = 0; i < 2; i++) if (a === legs[i] || b === legs[i]) state.legContact[i] = false;
  });
  return state;
}

// Scratch vectors for the impulses: planck reads them and keeps no reference.
const impulse = vec2(0, 0);
const point = vec2(0, 0);

/**
 * The engines of one step, as Gymnasium's `step` applies them before `world.Step`: `dispersion0`
 * and `dispersion1` are the step's two draws from [−1, 1] already divided by SCALE. `mainPower` is
 * 0 (off) or in [0.5, 1]; `sideDirection` is −1 (left engine) or +1 (right engine) and `sidePower`
 * 0 (off) or in [0.5, 1].
 */
export function fireEngines(w: LunarLanderWorld, mainPower: number, sideDirection: number, sidePower: number, dispersion0: number, dispersion1: number): void {
  const { lander } = w;
  const angle = lander.getAngle();
  // tip: the lander's "up" rotated into the world; side: perpendicular to it
  const tip0 = Math.sin(angle), tip1 = Math.cos(angle);
  const side0 = -tip1, side1 = tip0;
  const pos = lander.getPosition();
  w.main.power = 0;
  w.side.power = 0;

  if (mainPower > 0) {
    // 4 px below the origin, ±2 px of randomness along the axis and across it
    const ox = tip0 * (MAIN_ENGINE_Y_LOCATION / SCALE + 2 * dispersion0) + side0 * dispersion1;
    const oy = -tip1 * (MAIN_ENGINE_Y_LOCATION / SCALE + 2 * dispersion0) - side1 * dispersion1;
    point.x = pos.x + ox;
    point.y = pos.y + oy;
    impulse.x = -ox * MAIN_ENGINE_POWER * mainPower;
    impulse.y = -oy * MAIN_ENGINE_POWER * mainPower;
    setExhaust(w.main, point.x, point.y, ox, oy, mainPower);
    lander.applyLinearImpulse(impulse, point, true);
  }

  if (sidePower > 0) {
    const ox = tip0 * dispersion0 + side0 * (3 * dispersion1 + (sideDirection * SIDE_ENGINE_AWAY) / SCALE);
    const oy = -tip1 * dispersion0 - side1 * (3 * dispersion1 + (sideDirection * SIDE_ENGINE_AWAY) / SCALE);
    // The original's 17 where SIDE_ENGINE_HEIGHT (14) was presumably meant: the thrust point moves
    // with the lander's angle, so the side engines' torque depends on the orientation. Kept as is.
    point.x = pos.x + ox - (tip0 * 17) / SCALE;
    point.y = pos.y + oy + (tip1 * SIDE_ENGINE_HEIGHT) / SCALE;
    impulse.x = -ox * SIDE_ENGINE_POWER * sidePower;
    impulse.y = -oy * SIDE_ENGINE_POWER * sidePower;
    setExhaust(w.side, point.x, point.y, ox, oy, sidePower);
    lander.applyLinearImpulse(impulse, point, true);
  }
}

function setExhaust(e: EngineExhaust, x: number, y: number, dx: number, dy: number, power: number): void {
  e.x = x;
  e.y = y;
  e.dx = dx;
  e.dy = dy;
  e.power = power;
}

/** One frame of physics: 1/FPS seconds with Box2D's iteration counts as Gymnasium passes them. */
export function stepWorld(w: LunarLanderWorld): void {
  w.world.step(1 / FPS, VELOCITY_ITERATIONS, POSITION_ITERATIONS);
}

/**
 * Switches for the physics; `allocationFreeJoints: false` restores planck's own solver for the legs'
 * joints (planck-revolute-solver.ts: the same arithmetic without allocation, bit-identical).
 */
export const lunarLanderPhysicsSettings = { allocationFreeJoints: true };
