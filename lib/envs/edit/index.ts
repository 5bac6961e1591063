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
export { EDIT_KNOWN_WORDS, EDIT_PHRASINGS, fillPhrasing, phrasingOf, type EditSlots } from "./phrasings";
export { FUNCTION_WORDS as EDIT_FUNCTION_WORDS, HELDOUT_VOCAB as EDIT_HELDOUT_VOCAB, TRAIN_VOCAB as EDIT_TRAIN_VOCAB, type EditVocabulary } from "./vocab";
export { DEFAULT_EDIT_SEED, DEFAULT_EDIT_SIZES, generateEditDatasets, type GenerateEditOptions } from "./generator";
