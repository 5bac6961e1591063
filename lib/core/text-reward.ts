/**
 * The signature of a reward over texts: one number per (prompt, completion) pair, maybe async (a
 * reward model). lib/lm's rules and reward models implement it, GRPO for language models and the
 * conversation environments (lib/envs/conversation) consume it — so it lives in core, below both.
 */

/** The reward signature shared by every reward in lib/lm, GRPO for language models and conversation envs. */
export type RewardFn = (prompts: string[], completions: string[]) => Promise<number[]> | number[];
