/**
 * EditAgent-v0 (`tsrl/envs/edit`): text and its tokens, edit distances, the action space, the
 * tasks and their seeded generator, the oracle, the relational features, the environment, its
 * evaluation, its pointer-network policy and its registry entry.
 */
export * from "./text";
export * from "./distance";
export * from "./actions";
export * from "./tasks";
export * from "./oracle";
export * from "./features";
export * from "./edit-agent";
export * from "./evaluate";
export * from "./policy-net";
export { editAgentSpec } from "./spec";
export {
  EDIT_HELDOUT_PHRASINGS, EDIT_KNOWN_WORDS, EDIT_PHRASINGS, HELDOUT_KEY_WORDS, HELDOUT_PHRASING_WORDS, PHRASING_WORDS, POLITENESS, QUOTE_STYLES,
  fillPhrasing, phrasingOf, type EditSlots, type PhrasingSplit,
} from "./phrasings";
export { EDIT_CONCEPTS, EDIT_CONCEPT_NAMES, conceptAffinity, negatedStem, phraseAffinity } from "./lexicon";
export { generateNonsense, nonsenseDemonstrations, parseNonsense, type NonsenseItem } from "./nonsense";
export { FUNCTION_WORDS as EDIT_FUNCTION_WORDS, HELDOUT_VOCAB as EDIT_HELDOUT_VOCAB, TRAIN_VOCAB as EDIT_TRAIN_VOCAB, type EditVocabulary } from "./vocab";
export { DEFAULT_EDIT_SEED, DEFAULT_EDIT_SIZES, generateEditDatasets, type GenerateEditOptions } from "./generator";
