/**
 * planck's RevoluteJoint solver steps, the same arithmetic without allocation — for speed only.
 *
 * With Gymnasium's 180 velocity iterations, planck's RevoluteJoint.solveVelocityConstraints runs
 * 360 times a LunarLander step and allocates ~8 small vectors each time; solvePositionConstraints
 * runs ~4 times a step and allocates ~12 (then half of all the bytes a step allocates). The
 * functions below are the same computations — planck's arithmetic (1.4.2 to 1.5 alike), operation
 * for operation, so results are bit-identical (tests/envs-lunar-lander compares whole episodes both
 * ways) — on scalars. What the velocity solver derives from the joint's mass matrix alone is
 * computed once a step, in initVelocityConstraints, by the very operations planck repeats 180
 * times. They are installed on a joint only when it has the fields they read; otherwise planck's
 * own methods stay.
 */
import { compileInRealm, planck } from "./planck-realm";

interface Vec2Fields { x: number; y: number }
interface Vec3Fields { x: number; y: number; z: number }
interface SolverBody {
  c_velocity: { v: Vec2Fields; w: number };
  c_position: { c: Vec2Fields; a: number };
}
/** The planck 1.x RevoluteJoint fields the solver steps read and write. */
interface RevoluteFields {
  m_bodyA: SolverBody;
  m_bodyB: SolverBody;
  m_invMassA: number;
  m_invMassB: number;
  m_invIA: number;
  m_invIB: number;
  m_localAnchorA: Vec2Fields;
  m_localAnchorB: Vec2Fields;
  m_localCenterA: Vec2Fields;
  m_localCenterB: Vec2Fields;
  m_referenceAngle: number;
  m_lowerAngle: number;
  m_upperAngle: number;
  m_enableMotor: boolean;
  m_enableLimit: boolean;
  /** planck's LimitState: 0 inactive, 1 at lower, 2 at upper, 3 equal limits. */
  m_limitState: number;
  m_motorSpeed: number;
  m_motorMass: number;
  m_motorImpulse: number;
  m_maxMotorTorque: number;
  m_rA: Vec2Fields;
  m_rB: Vec2Fields;
  m_mass: { ex: Vec3Fields; ey: Vec3Fields; ez: Vec3Fields };
  m_impulse: Vec3Fields;
  initVelocityConstraints: (step: { dt: number }) => void;
  solveVelocityConstraints: (step: { dt: number }) => void;
  solvePositionConstraints: (step: unknown) => boolean;
}
/**
 * What the velocity solver derives from m_mass (set in initVelocityConstraints, constant through
 * the iterations): ey × ez (the first column of the 3×3 cofactor matrix), 1/det of the 3×3 and of
 * its 2×2 block — as Mat33.solve33 and solve22 compute them.
 */
interface RevoluteSolveCache {
  planckInitVelocityConstraints: (step: { dt: number }) => void;
  cofactorX: number;
  cofactorY: number;
  cofactorZ: number;
  invDet33: number;
  invDet22: number;
}
type Joint = RevoluteFields & RevoluteSolveCache;

const INACTIVE_LIMIT = 0, AT_LOWER_LIMIT = 1, AT_UPPER_LIMIT = 2, EQUAL_LIMITS = 3;
// the tolerances planck's own position solver reads (SettingsInternal: exported, not typed)
const settings = (planck as unknown as { SettingsInternal?: { linearSlop: number; angularSlop: number; maxAngularCorrection: number } }).SettingsInternal;
const LINEAR_SLOP = settings?.linearSlop ?? NaN;
const ANGULAR_SLOP = settings?.angularSlop ?? NaN;
const MAX_ANGULAR_CORRECTION = settings?.maxAngularCorrection ?? NaN;
// fields a new joint has (the others are set by initVelocityConstraints before every solve)
const REVOLUTE_FIELDS = [
  "m_limitState", "m_enableMotor", "m_enableLimit", "m_motorImpulse", "m_mass", "m_impulse", "m_bodyA", "m_bodyB",
  "m_localAnchorA", "m_localAnchorB", "m_referenceAngle", "m_lowerAngle", "m_upperAngle",
  "initVelocityConstraints", "solveVelocityConstraints", "solvePositionConstraints",
];

/** Installs the allocation-free solver steps on a planck RevoluteJoint (if it has planck 1.x's fields). */
export function useAllocationFreeRevoluteSolver(joint: object): void {
  if (!settings || !REVOLUTE_FIELDS.every((f) => f in joint)) return; // another planck: keep its own solver
  realm ??= {
    init: compileInRealm(initRevoluteVelocity),
    velocity: compileInRealm(solveRevoluteVelocity, { INACTIVE_LIMIT, AT_LOWER_LIMIT, AT_UPPER_LIMIT, EQUAL_LIMITS }),
    position: compileInRealm(solveRevolutePosition, { INACTIVE_LIMIT, AT_LOWER_LIMIT, AT_UPPER_LIMIT, EQUAL_LIMITS, LINEAR_SLOP, ANGULAR_SLOP, MAX_ANGULAR_CORRECTION }),
  };
  const j = joint as Joint;
  Object.assign(j, { cofactorX: 0, cofactorY: 0, cofactorZ: 0, invDet33: 0, invDet22: 0 });
  j.planckInitVelocityConstraints = j.initVelocityConstraints;
  j.initVelocityConstraints = realm.init;
  j.solveVelocityConstraints = realm.velocity;
  j.solvePositionConstraints = realm.position;
}
/** The functions below compiled in planck's realm (V8 does not inline across realms; see planck-realm.ts). */
let realm: { init: typeof initRevoluteVelocity; velocity: typeof solveRevoluteVelocity; position: typeof solveRevolutePosition } | undefined;

/** planck's initVelocityConstraints, then the step's constants of the velocity solver (RevoluteSolveCache). */
function initRevoluteVelocity(this: Joint, step: { dt: number }): void {
  this.planckInitVelocityConstraints(step);
  const { ex, ey, ez } = this.m_mass;
  const cx = ey.y * ez.z - ey.z * ez.y, cy = ey.z * ez.x - ey.x * ez.z, cz = ey.x * ez.y - ey.y * ez.x;
  let det = ex.x * cx + ex.y * cy + ex.z * cz;
  if (det !== 0) det = 1 / det;
  let d2 = ex.x * ey.y - ey.x * ex.y;
  if (d2 !== 0) d2 = 1 / d2;
  this.cofactorX = cx;
  this.cofactorY = cy;
  this.cofactorZ = cz;
  this.invDet33 = det;
  this.invDet22 = d2;
}

/** RevoluteJoint.solveVelocityConstraints: motor, then limit and point (3×3) or point alone (2×2). */
function solveRevoluteVelocity(this: Joint, step: { dt: number }): void {
  const vA = this.m_bodyA.c_velocity.v, vB = this.m_bodyB.c_velocity.v;
  let wA = this.m_bodyA.c_velocity.w, wB = this.m_bodyB.c_velocity.w;
  const mA = this.m_invMassA, mB = this.m_invMassB, iA = this.m_invIA, iB = this.m_invIB;
  const fixedRotation = iA + iB === 0;

  if (this.m_enableMotor && this.m_limitState !== EQUAL_LIMITS && !fixedRotation) {
    const cdot = wB - wA - this.m_motorSpeed;
    let impulse = -this.m_motorMass * cdot;
    const oldImpulse = this.m_motorImpulse;
    const maxImpulse = step.dt * this.m_maxMotorTorque;
    const sum = this.m_motorImpulse + impulse;
    this.m_motorImpulse = sum < -maxImpulse ? -maxImpulse : sum > maxImpulse ? maxImpulse : sum;
    impulse = this.m_motorImpulse - oldImpulse;
    wA -= iA * impulse;
    wB += iB * impulse;
  }

  const rA = this.m_rA, rB = this.m_rB;
  // Cdot1 = vB + wB × rB − vA − wA × rA, in planck's order (0 + … as its Vec2.zero().addCombine)
  const c1x = 0 + (vB.x + -wB * rB.y) - (vA.x + -wA * rA.y);
  const c1y = 0 + (vB.y + wB * rB.x) - (vA.y + wA * rA.x);
  const { ex, ey, ez } = this.m_mass;
  let ix: number, iy: number, iz = 0;

  if (this.m_enableLimit && this.m_limitState !== INACTIVE_LIMIT && !fixedRotation) {
    const c2 = wB - wA;
    // impulse = −M⁻¹·(Cdot1, Cdot2): Mat33.solve33 written out, its constant part from the cache
    const det = this.invDet33;
    const rx = det * (c1x * this.cofactorX + c1y * this.cofactorY + c2 * this.cofactorZ);
    let cx = c1y * ez.z - c2 * ez.y;
    let cy = c2 * ez.x - c1x * ez.z;
    let cz = c1x * ez.y - c1y * ez.x;
    const ry = det * (ex.x * cx + ex.y * cy + ex.z * cz);
    cx = ey.y * c2 - ey.z * c1y;
    cy = ey.z * c1x - ey.x * c2;
    cz = ey.x * c1y - ey.y * c1x;
    const rz = det * (ex.x * cx + ex.y * cy + ex.z * cz);
    ix = -rx;
    iy = -ry;
    iz = -rz;
    const acc = this.m_impulse;
    const state = this.m_limitState;
    const clampAt = state === AT_LOWER_LIMIT ? acc.z + iz < 0 : state === AT_UPPER_LIMIT ? acc.z + iz > 0 : false;
    if (clampAt) {
      // the limit would pull: solve the point constraint alone (Mat33.solve22), release the limit impulse
      const bx = -1 * c1x + acc.z * ez.x, by = -1 * c1y + acc.z * ez.y;
      const d2 = this.invDet22;
      ix = d2 * (ey.y * bx - ey.x * by);
      iy = d2 * (ex.x * by - ex.y * bx);
      iz = -acc.z;
      acc.x += ix;
      acc.y += iy;
      acc.z = 0;
    } else {
      acc.x += ix;
      acc.y += iy;
      acc.z += iz;
    }
    vA.x -= mA * ix;
    vA.y -= mA * iy;
    wA -= iA * (rA.x * iy - rA.y * ix + iz);
    vB.x += mB * ix;
    vB.y += mB * iy;
    wB += iB * (rB.x * iy - rB.y * ix + iz);
  } else {
    // point constraint only: impulse = M22⁻¹·(−Cdot)
    const bx = -c1x, by = -c1y;
    const d2 = this.invDet22;
    ix = d2 * (ey.y * bx - ey.x * by);
    iy = d2 * (ex.x * by - ex.y * bx);
    this.m_impulse.x += ix;
    this.m_impulse.y += iy;
    vA.x -= mA * ix;
    vA.y -= mA * iy;
    wA -= iA * (rA.x * iy - rA.y * ix);
    vB.x += mB * ix;
    vB.y += mB * iy;
    wB += iB * (rB.x * iy - rB.y * ix);
  }
  this.m_bodyA.c_velocity.w = wA;
  this.m_bodyB.c_velocity.w = wB;
}

/** RevoluteJoint.solvePositionConstraints: the limit's angle, then the anchors together. */
function solveRevolutePosition(this: Joint, _step: unknown): boolean {
  const cA = this.m_bodyA.c_position.c, cB = this.m_bodyB.c_position.c;
  let aA = this.m_bodyA.c_position.a, aB = this.m_bodyB.c_position.a;
  let angularError = 0;
  const fixedRotation = this.m_invIA + this.m_invIB == 0;

  const state = this.m_limitState;
  if (this.m_enableLimit && state !== INACTIVE_LIMIT && !fixedRotation) {
    const angle = aB - aA - this.m_referenceAngle;
    let limitImpulse = 0;
    if (state === EQUAL_LIMITS) {
      let c = angle - this.m_lowerAngle;
      c = c < -MAX_ANGULAR_CORRECTION ? -MAX_ANGULAR_CORRECTION : c > MAX_ANGULAR_CORRECTION ? MAX_ANGULAR_CORRECTION : c;
      limitImpulse = -this.m_motorMass * c;
      angularError = Math.abs(c);
    } else if (state === AT_LOWER_LIMIT) {
      let c = angle - this.m_lowerAngle;
      angularError = -c;
      // allow some slop, and no large corrections
      c = c + ANGULAR_SLOP;
      c = c < -MAX_ANGULAR_CORRECTION ? -MAX_ANGULAR_CORRECTION : c > 0 ? 0 : c;
      limitImpulse = -this.m_motorMass * c;
    } else if (state === AT_UPPER_LIMIT) {
      let c = angle - this.m_upperAngle;
      angularError = c;
      c = c - ANGULAR_SLOP;
      c = c < 0 ? 0 : c > MAX_ANGULAR_CORRECTION ? MAX_ANGULAR_CORRECTION : c;
      limitImpulse = -this.m_motorMass * c;
    }
    aA -= this.m_invIA * limitImpulse;
    aB += this.m_invIB * limitImpulse;
  }

  // the anchors: rA, rB rotated by the corrected angles, error C = cB + rB − cA − rA
  const sA = Math.sin(aA), qcA = Math.cos(aA), sB = Math.sin(aB), qcB = Math.cos(aB);
  const lAx = this.m_localAnchorA.x - this.m_localCenterA.x, lAy = this.m_localAnchorA.y - this.m_localCenterA.y;
  const lBx = this.m_localAnchorB.x - this.m_localCenterB.x, lBy = this.m_localAnchorB.y - this.m_localCenterB.y;
  const rAx = qcA * lAx - sA * lAy, rAy = sA * lAx + qcA * lAy;
  const rBx = qcB * lBx - sB * lBy, rBy = sB * lBx + qcB * lBy;
  // planck: Vec2.zero().addCombine(1, cB, 1, rB).subCombine(1, cA, 1, rA)
  let errX = 0, errY = 0;
  errX += 1 * cB.x + 1 * rBx;
  errY += 1 * cB.y + 1 * rBy;
  errX -= 1 * cA.x + 1 * rAx;
  errY -= 1 * cA.y + 1 * rAy;
  const positionError = Math.sqrt(errX * errX + errY * errY);

  const mA = this.m_invMassA, mB = this.m_invMassB, iA = this.m_invIA, iB = this.m_invIB;
  const kxx = mA + mB + iA * rAy * rAy + iB * rBy * rBy;
  const kxy = -iA * rAx * rAy - iB * rBx * rBy;
  const kyy = mA + mB + iA * rAx * rAx + iB * rBx * rBx;
  // impulse = −K⁻¹·C (Mat22.solve, then Vec2.neg)
  let det = kxx * kyy - kxy * kxy;
  if (det !== 0) det = 1 / det;
  const ix = -(det * (kyy * errX - kxy * errY));
  const iy = -(det * (kxx * errY - kxy * errX));
  cA.x -= mA * ix;
  cA.y -= mA * iy;
  aA -= iA * (rAx * iy - rAy * ix);
  cB.x += mB * ix;
  cB.y += mB * iy;
  aB += iB * (rBx * iy - rBy * ix);

  this.m_bodyA.c_position.a = aA;
  this.m_bodyB.c_position.a = aB;
  return positionError <= LINEAR_SLOP && angularError <= ANGULAR_SLOP;
}
