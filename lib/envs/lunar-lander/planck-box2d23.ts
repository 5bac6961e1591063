/**
 * Where planck parts from Box2D 2.3 (the version pybox2d, hence Gymnasium, builds), and the small
 * overrides that bring a LunarLander world back in line. Each acts only where it is installed (a
 * world's broad phase, a leg's box), and only when planck has the fields it touches; code that
 * planck calls is compiled in planck's realm.
 *
 * - New contacts in Box2D's order. Box2D 2.3's b2BroadPhase::UpdatePairs collects every pair the
 *   moved proxies overlap, sorts them by (smaller proxy id, larger proxy id) — `std::sort(...,
 *   b2PairLessThan)` — drops duplicates, and only then creates the contacts. planck's updatePairs
 *   creates each contact the moment its tree query finds it, walking the moved proxies from the last
 *   one. Each new contact goes to the head of the world's and both bodies' contact lists, so the
 *   order decides (a) in which order begin/end-contact events fire in the next step — a leg that ends
 *   one contact and begins another in the same step keeps Gymnasium's flag only in Box2D's order — and
 *   (b) the order in which the solver visits contacts, which changes results in the last bits.
 *   The proxy ids compare the same way in both: each engine numbers its tree nodes in creation order,
 *   and LunarLander's leaves (the moon's edges, hull, legs) are made once and never freed.
 * - A box's corners in Box2D's order. b2PolygonShape::SetAsBox numbers a box's corners from
 *   (−hx, −hy) counter-clockwise, face 0 the bottom; planck's Box starts at (hx, −hy), face 0 the
 *   right side. Same shape, same mass — but contact points are identified by (face, corner)
 *   indices, and warm starting carries a point's impulse to the next step only if its id is
 *   unchanged. With planck's numbering a leg corner resting on a terrain vertex changed id when
 *   it was clipped (face 3, corner 3) where Box2D's kept it (face 0, corner 0 both times), dropping
 *   the warm-start impulse: a 0.009 m/s jump in one of the reference landings.
 */
import type { Box as PlanckBox, World } from "planck";
import { compileInRealm, planck } from "./planck-realm";

/** A planck FixtureProxy: what the broad phase hands to the pair callback. */
interface ProxyFields {
  proxyId: number;
}
/** The planck 1.x BroadPhase fields the sorted updatePairs reads and writes. */
interface BroadPhaseFields {
  m_moveBuffer: (number | null)[];
  m_queryProxyId: number | null;
  m_callback: (a: ProxyFields, b: ProxyFields) => void;
  m_tree: { getFatAABB(id: number): unknown; query(aabb: unknown, callback: (id: number) => boolean): void };
  /** planck's per-query callback: reports (lower-id proxy, higher-id proxy) to m_callback. */
  queryCallback: (id: number) => boolean;
  updatePairs: (addPair: (a: ProxyFields, b: ProxyFields) => void) => void;
  /** Ours: the pairs found in this step, flat [a0, b0, a1, b1, …], and the collector that fills it. */
  box2dPairs?: ProxyFields[];
  box2dCollect?: (a: ProxyFields, b: ProxyFields) => void;
}

// fields a new broad phase has (m_queryProxyId and m_callback are set by updatePairs itself)
const BROAD_PHASE_FIELDS = ["m_moveBuffer", "m_tree", "queryCallback", "updatePairs"];

/**
 * Makes `world` create new contacts in Box2D 2.3's order (see the module doc). Returns false, and
 * changes nothing, on a planck whose broad phase lacks the fields it needs.
 */
export function useBox2dPairOrder(world: World): boolean {
  const broadPhase = (world as unknown as { m_broadPhase?: object }).m_broadPhase;
  if (!broadPhase || !BROAD_PHASE_FIELDS.every((f) => f in broadPhase)) return false;
  realmUpdatePairs ??= compileInRealm(updatePairsInBox2dOrder);
  (broadPhase as BroadPhaseFields).updatePairs = realmUpdatePairs;
  return true;
}
let realmUpdatePairs: typeof updatePairsInBox2dOrder | undefined;

/** b2BroadPhase::UpdatePairs: query, collect, sort, drop duplicates, then report. */
function updatePairsInBox2dOrder(this: BroadPhaseFields, addPair: (a: ProxyFields, b: ProxyFields) => void): void {
  const moved = this.m_moveBuffer;
  if (moved.length === 0) return; // most steps: no proxy left its fat AABB
  if (this.box2dCollect === undefined) {
    const found: ProxyFields[] = [];
    this.box2dPairs = found;
    this.box2dCollect = (a, b) => {
      found.push(a, b);
    };
  }
  const pairs = this.box2dPairs!;
  this.m_callback = this.box2dCollect;
  for (let i = 0; i < moved.length; i++) {
    const id = moved[i];
    if (id === null) continue;
    this.m_queryProxyId = id;
    this.m_tree.query(this.m_tree.getFatAABB(id), this.queryCallback);
  }
  moved.length = 0;

  // insertion sort by (a.proxyId, b.proxyId): a step finds a handful of pairs at most
  const n = pairs.length / 2;
  for (let i = 1; i < n; i++) {
    const a = pairs[2 * i], b = pairs[2 * i + 1];
    let j = i - 1;
    while (j >= 0 && (pairs[2 * j].proxyId > a.proxyId || (pairs[2 * j].proxyId === a.proxyId && pairs[2 * j + 1].proxyId > b.proxyId))) {
      pairs[2 * j + 2] = pairs[2 * j];
      pairs[2 * j + 3] = pairs[2 * j + 1];
      j--;
    }
    pairs[2 * j + 2] = a;
    pairs[2 * j + 3] = b;
  }
  for (let i = 0; i < n; i++) {
    const a = pairs[2 * i], b = pairs[2 * i + 1];
    if (i > 0 && a === pairs[2 * i - 2] && b === pairs[2 * i - 1]) continue; // a pair both of whose proxies moved
    addPair(a, b);
  }
  pairs.length = 0;
}

/**
 * A planck Box of half-width `hx`, half-height `hy`, its corners and face normals in Box2D 2.3's
 * order (see the module doc). On a planck whose Box keeps its corners elsewhere, a plain Box.
 */
export function box2dBox(hx: number, hy: number): PlanckBox {
  const box = new planck.Box(hx, hy);
  const shape = box as unknown as { m_vertices?: { x: number; y: number }[]; m_normals?: { x: number; y: number }[] };
  const v = shape.m_vertices, n = shape.m_normals;
  // planck: corners (hx, −hy), (hx, hy), (−hx, hy), (−hx, −hy); Box2D starts at the last one
  if (v?.length === 4 && n?.length === 4 && v[3].x === -hx && v[3].y === -hy) {
    v.unshift(v.pop()!);
    n.unshift(n.pop()!);
  }
  return box;
}
