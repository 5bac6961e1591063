/**
 * The words the edit tasks' sentences are made of, in two disjoint vocabularies:
 *
 *   TRAIN_VOCAB     train and validation sentences
 *   HELDOUT_VOCAB   held-out sentences: not one of these words appears anywhere in train
 *
 * Each has the same categories (names, animate nouns, things, places, adjectives, transitive and
 * intransitive verbs in the past tense, adverbs). FUNCTION_WORDS (articles, possessives,
 * prepositions, "and") are shared: English needs them, and they carry no task. A held-out task
 * therefore asks for an edit on words the policy has never seen, in the instruction language it
 * knows. Checked when this module loads: the two vocabularies share no word, and neither shares one
 * with FUNCTION_WORDS.
 */

export interface EditVocabulary {
  names: readonly string[];
  /** People and animals: subjects. */
  beings: readonly string[];
  things: readonly string[];
  places: readonly string[];
  adjectives: readonly string[];
  /** Past tense, takes an object. */
  transitive: readonly string[];
  /** Past tense, no object. */
  intransitive: readonly string[];
  adverbs: readonly string[];
}

export const FUNCTION_WORDS: readonly string[] = [
  "the", "a", "an", "my", "his", "her", "our", "their", "this", "that",
  "in", "on", "at", "near", "under", "behind", "beside", "by", "across", "and",
  // titles (written "Dr." etc.), the words around numbers, contractions
  "dr", "mrs", "mr", "ms", "prof", "for", "minutes", "hours", "room", "wasn't", "isn't", "looked", "seemed", "until", "a.m", "p.m",
];

/** Numbers the sentences use ("for 3 minutes", "in room 1,204"): not vocabulary, in every split. */
export const NUMBERS: readonly string[] = ["2", "3", "5", "7", "10", "12", "15", "20", "45", "90", "1.5", "2.5", "1,200", "3,500"];
/** Titles before a name; each is rendered with its period ("Dr."). */
export const TITLES: readonly string[] = ["Dr", "Mrs", "Mr", "Ms", "Prof"];

export const TRAIN_VOCAB: EditVocabulary = {
  names: ["Anna", "Omar", "Lucy", "Ravi", "Maria", "Tom", "Sara", "Ivan", "Nora", "Leo", "Emma", "Hugo", "Mina", "Paul", "Rosa", "Sam", "Zoe", "Ben", "Lena", "Kai"],
  beings: [
    "dog", "cat", "bird", "horse", "farmer", "teacher", "doctor", "baker", "pilot", "child", "girl", "boy", "rabbit", "fox", "sheep", "goat",
    "cow", "duck", "mouse", "lion", "tiger", "bear", "wolf", "singer", "painter", "sailor", "nurse", "student", "artist", "driver", "monkey", "frog",
  ],
  things: [
    "ball", "book", "apple", "key", "hat", "cup", "box", "kite", "lamp", "coat", "bag", "chair", "table", "bottle", "bell", "drum", "flower", "basket",
    "rope", "shoe", "ticket", "map", "coin", "candle", "brush", "blanket", "pencil", "clock", "window", "door", "bread", "cake", "orange", "egg",
    "plate", "ladder", "camera", "wallet", "umbrella", "glove",
  ],
  places: ["park", "garden", "kitchen", "school", "river", "forest", "market", "beach", "library", "station", "field", "church", "harbor", "bakery", "village", "hall", "yard", "shop", "hill", "lake"],
  adjectives: [
    "big", "little", "old", "young", "red", "blue", "green", "happy", "quiet", "tall", "short", "warm", "cold", "bright", "dark", "heavy",
    "soft", "brave", "busy", "clever", "gentle", "kind", "lazy", "lucky", "proud", "shy", "tiny", "wild", "yellow", "clean", "funny", "sleepy",
    "old-fashioned", "hand-made", "red-faced", "long-haired", "good-natured", "open-minded", "half-asleep",
  ],
  transitive: [
    "found", "carried", "watched", "painted", "dropped", "opened", "cleaned", "bought", "sold", "lost", "moved", "pushed", "pulled", "washed",
    "fixed", "kicked", "lifted", "hid", "held", "caught", "threw", "took", "borrowed", "chose", "liked", "wanted", "needed", "visited",
  ],
  intransitive: ["slept", "waited", "danced", "laughed", "smiled", "sang", "jumped", "rested", "walked", "ran", "sat", "stood", "played", "worked", "cried", "swam", "stayed", "shouted"],
  adverbs: ["quickly", "slowly", "loudly", "softly", "happily", "quietly", "today", "yesterday", "again", "early", "carefully", "gladly", "suddenly", "often", "late", "twice"],
};

export const HELDOUT_VOCAB: EditVocabulary = {
  names: ["Greta", "Tariq", "Ingrid", "Pablo", "Yuki", "Dmitri", "Amara", "Felix", "Chloe", "Bruno"],
  beings: ["otter", "badger", "falcon", "walrus", "plumber", "florist", "juggler", "beaver", "panda", "heron", "camel", "lobster", "knight", "wizard"],
  things: ["trumpet", "violin", "lantern", "compass", "kettle", "saddle", "helmet", "teapot", "anchor", "banner", "mirror", "pillow", "quilt", "scarf", "whistle", "jar"],
  places: ["canyon", "meadow", "pier", "cellar", "attic", "orchard", "stadium", "lagoon"],
  adjectives: ["crimson", "fragile", "grumpy", "shiny", "velvet", "ancient", "nimble", "rusty", "chubby", "dusty", "fuzzy", "golden", "hollow", "sturdy", "brand-new", "well-known", "half-empty", "low-key", "sun-baked"],
  transitive: ["polished", "juggled", "sketched", "stitched", "grabbed", "tossed", "hugged", "squeezed", "dragged", "scrubbed", "wrapped", "rolled"],
  intransitive: ["whistled", "wandered", "giggled", "napped", "hummed", "shivered", "yawned", "paddled"],
  adverbs: ["eagerly", "briskly", "lazily", "bravely", "noisily", "calmly", "swiftly", "tonight"],
};

/** Every word of a vocabulary, lower-cased. */
export function vocabularyWords(vocab: EditVocabulary): Set<string> {
  return new Set(Object.values(vocab).flatMap((list: readonly string[]) => list.map((w) => w.toLowerCase())));
}

/** Throws naming the shared words if the vocabularies overlap each other or the function words. */
export function checkVocabularies(): void {
  const train = vocabularyWords(TRAIN_VOCAB), heldout = vocabularyWords(HELDOUT_VOCAB);
  const both = [...train].filter((w) => heldout.has(w));
  if (both.length) throw new Error(`edit-vocab: train and held-out vocabularies share ${both.join(", ")}`);
  for (const [name, set] of [["train", train], ["held-out", heldout]] as const) {
    const fn = FUNCTION_WORDS.filter((w) => set.has(w));
    if (fn.length) throw new Error(`edit-vocab: the ${name} vocabulary contains function words ${fn.join(", ")}`);
    for (const [category, list] of Object.entries(name === "train" ? TRAIN_VOCAB : HELDOUT_VOCAB) as [string, readonly string[]][]) {
      const dup = list.filter((w, i) => list.indexOf(w) !== i);
      if (dup.length) throw new Error(`edit-vocab: ${name} ${category} lists ${dup.join(", ")} twice`);
    }
  }
  const counts = Object.values(TRAIN_VOCAB).reduce((s, l: readonly string[]) => s + l.length, 0);
  if (train.size !== counts) throw new Error("edit-vocab: a train word is listed in two categories");
  const hcounts = Object.values(HELDOUT_VOCAB).reduce((s, l: readonly string[]) => s + l.length, 0);
  if (heldout.size !== hcounts) throw new Error("edit-vocab: a held-out word is listed in two categories");
}

checkVocabularies();
