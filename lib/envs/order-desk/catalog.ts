/**
 * The words OrderDesk-v0's orders are made of, and the split that keeps held-out tasks unseen.
 *
 *   customers   first name × surname        48 × 48 = 2,304 names
 *   items       colour × thing              12 × 30 = 360 items ("red lamp")
 *   order ids   4-digit numbers             1000 … 9999
 *   statuses    processing, shipped, delivered, cancelled
 *   dates       "May 14" (month, day 1–28)
 *
 * `splitCatalog(rng)` puts 20% of the names, 20% of the items and 20% of the ids in the held-out pool
 * and the rest in the training pool, disjoint, so a held-out task's order id, customer name and items
 * never occur in training. The split is over *combinations*: every first name, surname, colour and
 * thing occurs in both pools ("red lamp" and "blue kettle" train, "blue lamp" held out), so a held-out
 * item is a new combination of words the model has read (GPT-2's tokens for them are trained), and a
 * held-out id is a new number written with the same digit tokens. Copying an item it has never seen
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

/** Each token of a held-out id occurs in at least this many training ids. */
export const MIN_ID_TOKEN_USES = 20;

/**
 * The disjoint training and held-out pools (see the module comment), from the data's seeded generator.
 * With `idTokens` (a tokenizer's pieces of " 4471"), held-out ids are drawn only so that each of
 * their tokens stays in at least MIN_ID_TOKEN_USES training ids: GPT-2 writes some numbers as one token
 * (" 1946", " 1500"), and a held-out id made of a token that training never shows could not be copied.
 */
export function splitCatalog(rng: Rng, opts: { idTokens?: (id: string) => readonly number[] } = {}): CatalogSplit {
  const names = splitCombinations(rng, FIRST_NAMES, SURNAMES, HELDOUT_FRACTION);
  const items = splitCombinations(rng, COLOURS, THINGS, HELDOUT_FRACTION);
  const ids = rng.shuffle(Array.from({ length: ORDER_ID_MAX - ORDER_ID_MIN + 1 }, (_, i) => ORDER_ID_MIN + i));
  const k = Math.round(ids.length * HELDOUT_FRACTION);
  // uses of each token among the ids still in the training pool: a held-out id may take a token
  // only while at least MIN_ID_TOKEN_USES training ids keep it
  const pieces = new Map<number, readonly number[]>(), uses = new Map<number, number>();
  if (opts.idTokens) {
    for (const id of ids) pieces.set(id, [...new Set(opts.idTokens(String(id)))]);
    for (const p of pieces.values()) for (const t of p) uses.set(t, (uses.get(t) ?? 0) + 1);
  }
  const heldout: number[] = [], train: number[] = [];
  for (const id of ids) {
    const p = pieces.get(id) ?? [];
    if (heldout.length < k && p.every((t) => uses.get(t)! > MIN_ID_TOKEN_USES)) {
      heldout.push(id);
      for (const t of p) uses.set(t, uses.get(t)! - 1);
    } else train.push(id);
  }
  return {
    train: { names: names.train, items: items.train, ids: train.sort((x, y) => x - y) },
    heldout: { names: names.heldout, items: items.heldout, ids: heldout.sort((x, y) => x - y) },
  };
}
