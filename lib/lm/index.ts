/**
 * Language-model data and rewards, offline: the review corpus and its generator (./corpus.ts,
 * ./lm-data.ts), preference pairs and their readers (./preferences.ts), pretraining a tiny GPT-2
 * (./pretrain.ts), the Bradley–Terry reward model (./reward-model.ts), rule rewards and the shared
 * `RewardFn` type (./rule-rewards.ts), and a Transformers.js text classifier as a reward (./hf-classifier.ts).
 */
export { generateReview, generateCorpus, generatePrompts, reviewOpening, reviewContinuation, adjectivePhrase, REVIEW_DOMAINS, POSITIVE_ADJECTIVES, NEGATIVE_ADJECTIVES, type Review, type ReviewDomain, type ReviewMood } from "./corpus";
export { generateLmData, formatLmData, DEFAULT_LM_DATA_SEED, DEFAULT_LM_DATA_SIZES, LM_DATA_FILES, type LmData, type LmDataSizes } from "./lm-data";
export { generatePreferencePairs, formatPreferencePair, readPreferencePairs, readPrompts, readCorpus, parseJsonlRecords, DataLineError, type PreferencePair, type GeneratePairsOptions } from "./preferences";
export {
  pretrainGpt2, loadOrPretrain, savePretrained, readPretrainInfo, hasSavedGpt2, encodePrompt, tokenizeCorpus, sampleWindows, tileWindows, meanLmLoss, pretrainLr,
  sampleCompletions, writePretrainCsv, PRETRAIN_INFO_FILE,
  type PretrainOptions, type PretrainProgress, type PretrainResult, type PretrainInfo, type LoadOrPretrainResult, type SampleTextOptions,
} from "./pretrain";
export {
  rewardModelFromGpt2, loadOrTrainRewardModel, bradleyTerryLoss, pairAccuracy, rewardModelStep, trainRewardModel, saveRewardModel, loadRewardModel, readRewardModelInfo, writeRewardModelCsv,
  REWARD_HEAD_FILE, REWARD_MODEL_FILE, REWARD_HEAD_NAME,
  type RewardModel, type LoadOrTrainRewardModelResult, type PairAccuracy, type TrainRewardModelOptions, type RewardModelProgress, type TrainRewardModelResult, type RewardModelInfo,
} from "./reward-model";
export {
  ruleReward, ruleBreakdown, combineRewards, lexiconSentiment, lengthPenalty, words, POSITIVE_WORDS, NEGATIVE_WORDS,
  type RewardFn, type RewardRule, type SentimentRule, type LengthRule, type KeywordRule, type RegexRule,
} from "./rule-rewards";
export { hfClassifierReward, labelScores, checkClassifierDir, requireTransformers, HF_CLASSIFIER_FILES, type HfClassifierOptions, type TextClassifier, type ClassLabelScore } from "./hf-classifier";
