/**
 * The words OrderDesk-v0's orders are made of, and the split that keeps held-out tasks unseen.
 *
 *   customers   first name × surname        48 × 48 = 2,304 names
 *   items       colour × thing              12 × 30 = 360 items ("red lamp")
 *   order ids   4-digit numbers             1000 … 9999 (datasets/order-desk: the 4,680 of them that
 *                                           GPT-2 writes as two 2-digit tokens, " 44" + "71")
 *   statuses    processing, shipped, delivered, cancelled
 *   dates       "May 14" (month, day 1–28)
 *
 * `splitCatalog(rng)` puts 20% of the names, 20% of the items and 20% of the ids in the held-out pool
 * and the rest in the training pool, disjoint, so a held-out task's order id, customer name and items
 * never occur in training. The split is over *combinations*: every first name, surname, colour and
 * thing occurs in both pools ("red lamp" and "blue kettle" train, "blue lamp" held out), so a held-out
 * item is a new combination of words the model has read (GPT-2's tokens for them are trained), and a
 * held-out id is a new number written with the same digit tokens. (Which ids: GPT-2's BPE writes
 * " 4471" as " 4" + "471", " 1946" as one token and " 2344" as " 23" + "44"; the ids that are two
 * 2-digit tokens use 189 distinct tokens, each in about 50 ids, so every one is well trained and a
 * held-out id's tokens all occur in training — tested — where with all 9,000 ids some tokens are
 * rare or occur only in held-out ids.) Copying an item it has never seen
 * as a whole is the generalisation asked for; copying a token it has never read at all would not be
 * a fair test of a model this small.
 */
import type { Rng } from "../../core/rng";

export const FIRST_NAMES: readonly string[] = [
  "Maya", "Omar", "Lena", "Ravi", "Sofia", "Theo", "Ines", "Kofi", "Hana", "Luca", "Nora", "Yusuf",
  "Clara", "Mateo", "Aisha", "Felix", "Zara", "Jonas", "Priya", "Diego", "Elsa", "Tariq", "Mila", "Hugo",
  "Leila", "Anton", "Rosa", "Ivan", "Noor", "Emil", "Vera", "Sami", "Alma", "Kai", "Lucia", "Ben",
  "Ada", "Oscar", "Iris", "Malik", "June", "Tomas", "Dana", "Raj", "Ruth", "Leo", "Amara", "Paul",
];

export const SURNAMES: readonly string[] = [
  "Chen", "Patel", "Garcia", "Novak", "Okafor", "Silva", "Kim", "Rossi", "Haddad", "Berg", "Tanaka", "Moreau",
  "Dubois", "Walsh", "Kowalski", "Nguyen", "Ortiz", "Singh", "Larsen", "Costa", "Yilmaz", "Fischer", "Murphy", "Ali",
  "Hughes", "Romero", "Sato", "Ivanova", "Mensah", "Lopez", "Brandt", "Cohen", "Price", "Reyes", "Adler", "Park",
  "Quinn", "Sharma", "Weber", "Bianchi", "Santos", "Ward", "Khan", "Lund", "Moss", "Vargas", "Ford", "Hale",
];

export const COLOURS: readonly string[] = ["red", "blue", "green", "black", "white", "grey", "yellow", "pink", "brown", "orange", "purple", "silver"];

export const THINGS: readonly string[] = [
  "lamp", "kettle", "mug", "towel", "chair", "pillow", "blanket", "bottle", "jacket", "scarf", "backpack", "notebook",
  "umbrella", "candle", "clock", "mirror", "teapot", "basket", "rug", "vase", "wallet", "belt", "helmet", "kite",
  "bowl", "plate", "glove", "hat", "sock", "fan",
];

export const MONTHS: readonly string[] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

export type OrderStatus = "processing" | "shipped" | "delivered" | "cancelled";
export const ORDER_STATUSES: readonly OrderStatus[] = ["processing", "shipped", "delivered", "cancelled"];

/** The order ids: every 4-digit number. */
export const ORDER_ID_MIN = 1000, ORDER_ID_MAX = 9999;

/** One side of the split: what tasks of that side may use. */
export interface CatalogPool {
  names: readonly string[];
  items: readonly string[];
  ids: readonly number[];
}

export interface CatalogSplit {
  train: CatalogPool;
  heldout: CatalogPool;
}

/** The held-out share of names, items and ids. */
export const HELDOUT_FRACTION = 0.2;

function cross(a: readonly string[], b: readonly string[]): string[] {
  return a.flatMap((x) => b.map((y) => `${x} ${y}`));
}

/**
 * Shuffles `all` and holds out `fraction` of it, redrawing until every word of `parts` (first names,
 * surnames; colours, things) occurs on both sides — so held-out combinations are new, their words not.
 */
function splitCombinations(rng: Rng, a: readonly string[], b: readonly string[], fraction: number): { train: string[]; heldout: string[] } {
  const all = cross(a, b);
  const k = Math.round(all.length * fraction);
  for (let attempt = 0; attempt < 100; attempt++) {
    const order = rng.shuffle(all.slice());
    const heldout = order.slice(0, k).sort(), train = order.slice(k).sort();
    const covers = (side: string[]) => {
      const first = new Set(side.map((s) => s.split(" ")[0])), second = new Set(side.map((s) => s.split(" ").slice(1).join(" ")));
      return a.every((x) => first.has(x)) && b.every((y) => second.has(y));
    };
    if (covers(train) && covers(heldout)) return { train, heldout };
  }
  throw new Error("splitCatalog: could not split so that every word occurs on both sides");
}

/**
 * The disjoint training and held-out pools (see the module comment), from the data's seeded
 * generator; `orderIds` are the ids to split (default every 4-digit number).
 */
export function splitCatalog(rng: Rng, opts: { orderIds?: readonly number[] } = {}): CatalogSplit {
  const names = splitCombinations(rng, FIRST_NAMES, SURNAMES, HELDOUT_FRACTION);
  const items = splitCombinations(rng, COLOURS, THINGS, HELDOUT_FRACTION);
  const all = opts.orderIds ?? Array.from({ length: ORDER_ID_MAX - ORDER_ID_MIN + 1 }, (_, i) => ORDER_ID_MIN + i);
  if (all.length < 10 || all.some((id) => !(Number.isInteger(id) && id >= ORDER_ID_MIN && id <= ORDER_ID_MAX))) throw new RangeError(`splitCatalog: orderIds must be at least 10 integers in [${ORDER_ID_MIN}, ${ORDER_ID_MAX}]`);
  const ids = rng.shuffle([...new Set(all)]);
  const k = Math.round(ids.length * HELDOUT_FRACTION);
  return {
    train: { names: names.train, items: items.train, ids: ids.slice(k).sort((x, y) => x - y) },
    heldout: { names: names.heldout, items: items.heldout, ids: ids.slice(0, k).sort((x, y) => x - y) },
  };
}
