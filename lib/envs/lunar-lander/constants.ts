/**
 * LunarLander-v3's constants, each named once, with the values and units of Gymnasium's
 * `box2d/lunar_lander.py`. Lengths in the world are metres; the original writes the lander's shape
 * in pixels and divides by SCALE (30 pixels a metre).
 */

/** Pixels per metre: the world is VIEWPORT_W / SCALE = 20 m wide and VIEWPORT_H / SCALE ≈ 13.33 m tall. */
export const SCALE = 30;
/** Simulation steps per second: one env step advances the world by 1/FPS s. */
export const FPS = 50;
/** Box2D's iteration counts as Gymnasium passes them to `world.Step` (6·30 velocity, 2·30 position). */
export const VELOCITY_ITERATIONS = 6 * 30;
export const POSITION_ITERATIONS = 2 * 30;

export const VIEWPORT_W = 600;
export const VIEWPORT_H = 400;
/** World width W and height H in metres. */
export const W = VIEWPORT_W / SCALE;
export const H = VIEWPORT_H / SCALE;

export const MAIN_ENGINE_POWER = 13.0;
export const SIDE_ENGINE_POWER = 0.6;
/** Bound of each component of the random force (N) pushed on the lander at reset. */
export const INITIAL_RANDOM = 1000.0;

/** The lander's hull in pixels, counter-clockwise from the top left (divide by SCALE for metres). */
export const LANDER_POLY: readonly (readonly [number, number])[] = [[-14, 17], [-17, 0], [-17, -10], [17, -10], [17, 0], [14, 17]];
/** Legs: how far out and down (pixels) they hang from the hull, their half-width and half-height. */
export const LEG_AWAY = 20;
export const LEG_DOWN = 18;
export const LEG_W = 2;
export const LEG_H = 8;
/** The legs' joint motor: its maximum torque, acting as a spring that holds the legs out. */
export const LEG_SPRING_TORQUE = 40;

export const SIDE_ENGINE_HEIGHT = 14;
export const SIDE_ENGINE_AWAY = 12;
/** The main engine's nozzle: this many pixels below the body origin. */
export const MAIN_ENGINE_Y_LOCATION = 4;

/** Terrain: CHUNKS points across the world (CHUNKS + 1 random heights: the smoothing wraps around). */
export const CHUNKS = 11;

/** Collision filtering: the ground is category 1; lander and legs collide only with it. */
export const GROUND_CATEGORY = 0x0001;
export const LANDER_CATEGORY = 0x0010;
export const LEG_CATEGORY = 0x0020;

/** Densities (kg/m²) and friction coefficients as in the original's fixture definitions. */
export const LANDER_DENSITY = 5.0;
export const LEG_DENSITY = 1.0;
export const LANDER_FRICTION = 0.1;
/** Box2D's default friction, which the legs and the moon's first (flat) edge keep. */
export const DEFAULT_FRICTION = 0.2;
export const TERRAIN_FRICTION = 0.1;

/** Reward shaping and fuel costs per frame of full throttle. */
export const MAIN_ENGINE_FUEL_COST = 0.3;
export const SIDE_ENGINE_FUEL_COST = 0.03;
/** Reward that replaces the step's reward on a crash or flying off (−) and on coming to rest (+). */
export const CRASH_REWARD = -100;
export const REST_REWARD = 100;

/** Wind (`enable_wind`): tanh(sin(2k·t) + sin(πk·t)) with k = 0.01, t the step index from a random start. */
export const WIND_K = 0.01;
/** The start index of wind and turbulence: an integer in [−9999, 9999), drawn at reset. */
export const WIND_INDEX_RANGE = 9999;

/** Colours of Gymnasium's pygame renderer (RGB 0–255). */
export const COLORS = {
  sky: [0, 0, 0],
  ground: [255, 255, 255],
  landerFill: [128, 102, 230],
  landerOutline: [77, 77, 128],
  flagPole: [255, 255, 255],
  flag: [204, 204, 0],
} as const;
