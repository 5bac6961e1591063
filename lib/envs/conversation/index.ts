/**
 * Conversation environments, generically: messages and the chat format (./messages.ts), the
 * episode protocol and its registry (./env.ts), strict plain-text tool calls (./tool-call.ts), and
 * episode-level rewards composed from parts (./rewards.ts).
 */
export { ROLES, chatFormat, oneLine, renderMessage, renderConversation, agentPrompt, encodeConversation, checkMessages, type Role, type Message, type ChatFormat, type TextEncoder, type EncodedConversation } from "./messages";
export { parseToolCall, type ToolSpec, type ToolCallParse } from "./tool-call";
export {
  registerConversationEnv, conversationEnvSpec, registeredConversationEnvs, makeConversationEnv, ConversationUsageError,
  type ConversationEnv, type ConversationEnvSpec, type ConversationResetResult, type ConversationStepResult, type EpisodeSummary,
} from "./env";
export {
  episodeReturn, composeEpisodeRewards, combineEpisodeRewards, textEpisodeReward, openingRequest, agentText,
  type EpisodeRecord, type EpisodeRewardFn, type EpisodeRewardPart, type ComposedEpisodeRewards,
} from "./rewards";
