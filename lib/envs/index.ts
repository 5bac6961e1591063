/** The environments (one folder per family) and, through ./registry.ts, `makeEnv` with all of them registered. */
export * from "./registry";
export * from "./cartpole/cartpole";
export * from "./cartpole/physics";
export * from "./cartpole/render";
export * from "./lunar-lander/lunar-lander";
export * from "./tictactoe/tictactoe";
export * from "./tictactoe/rules";
export * from "./tictactoe/opponents";
export * from "./tictactoe/analysis";
export * from "./tictactoe/render";
export * from "./tictactoe/play";
export * from "./edit/text";
export * from "./edit/distance";
export * from "./edit/actions";
export * from "./edit/tasks";
export * from "./edit/oracle";
export * from "./edit/features";
export * from "./edit/edit-agent";
export * from "./edit/evaluate";
export * from "./edit/policy-net";
export {
  EDIT_HELDOUT_PHRASINGS, EDIT_KNOWN_WORDS, EDIT_PHRASINGS, HELDOUT_KEY_WORDS, HELDOUT_PHRASING_WORDS, PHRASING_WORDS, POLITENESS, QUOTE_STYLES,
  fillPhrasing, phrasingOf, type EditSlots, type PhrasingSplit,
} from "./edit/phrasings";
export { EDIT_CONCEPTS, EDIT_CONCEPT_NAMES, conceptAffinity, phraseAffinity } from "./edit/lexicon";
export { generateNonsense, nonsenseDemonstrations, parseNonsense, type NonsenseItem } from "./edit/nonsense";
export { FUNCTION_WORDS as EDIT_FUNCTION_WORDS, HELDOUT_VOCAB as EDIT_HELDOUT_VOCAB, TRAIN_VOCAB as EDIT_TRAIN_VOCAB, type EditVocabulary } from "./edit/vocab";
export { DEFAULT_EDIT_SEED, DEFAULT_EDIT_SIZES, generateEditDatasets, type GenerateEditOptions } from "./edit/generator";
