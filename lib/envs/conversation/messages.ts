/**
 * Messages, and how a conversation is written out as text and tokens for a language model.
 *
 * A message is OpenAI's chat shape, `{ role, content }`, with the roles a conversation environment
 * uses: "user" (the person the agent serves; OrderDesk-v0's customer), "assistant" (the agent) and
 * "tool" (a tool's result, or the environment's error about a malformed call).
 *
 * The chat format writes each message as one line, a role marker then the content:
 *
 *   <|endoftext|>Customer: Hi, I'm Maya Chen. When will order 4471 arrive?
 *   Agent: <call>lookup order 4471</call>
 *   Tool: order 4471: Maya Chen; shipped; arrives May 14; red lamp x2
 *   Agent: Order 4471 arrives on May 14.
 *
 * Why plain-text markers and "\n", not added special tokens: GPT-2's BPE already has "Customer",
 * "Agent", "Tool" and ":" as single tokens, so a marker costs two tokens (three with the newline
 * before it); the newline is one token (198) and ends every turn, so it is the agent's stop token;
 * and the model keeps GPT-2's vocabulary and tokenizer unchanged (a saved model is a plain Hugging
 * Face GPT-2 directory). Added tokens would save one or two tokens per turn at the price of new
 * embedding rows that pretraining must learn from nothing and a tokenizer no other tool reads.
 * Contents are one line: a newline inside a message is written as a space.
 *
 * Tokens are built piece by piece — the marker (the environment's, never the model's choice),
 * then " " + content + "\n" — so the same conversation gives the same ids in pretraining and in
 * a rollout, and the agent's own tokens are exactly the pieces of its messages
 * (`encodeConversation(...).agentMask`).
 */

export type Role = "user" | "assistant" | "tool";
export const ROLES: readonly Role[] = ["user", "assistant", "tool"];

export interface Message {
  role: Role;
  content: string;
}

/** Role markers: what starts each role's line ("Customer", written "Customer:"). */
export interface ChatFormat {
  readonly markers: Readonly<Record<Role, string>>;
}

/** What the chat format needs of a tokenizer (GPT-2's fits). */
export interface TextEncoder {
  encode(text: string): number[];
}

/** A chat format with these role names (each a word, no ":" or newline). */
export function chatFormat(markers: Record<Role, string>): ChatFormat {
  for (const role of ROLES) {
    const m = markers[role];
    if (typeof m !== "string" || !/^[A-Za-z][A-Za-z ]*$/.test(m)) throw new RangeError(`chatFormat: markers.${role} must be a word (letters and spaces), got ${JSON.stringify(m)}`);
  }
  return { markers: Object.freeze({ ...markers }) };
}

/** A message's content as it is written: one line (newlines become spaces), no surrounding space. */
export function oneLine(content: string): string {
  return content.replace(/\s*\n\s*/g, " ").trim();
}

/** The text of one message: "Marker: content\n". */
export function renderMessage(format: ChatFormat, m: Message): string {
  return `${format.markers[m.role]}:${contentPiece(m.content)}`;
}

/** " content\n" (just "\n" for an empty content): the part of a line after the marker. */
function contentPiece(content: string): string {
  const line = oneLine(content);
  return line === "" ? "\n" : ` ${line}\n`;
}

/** The whole conversation as text, one line per message (what pretraining reads, after an <|endoftext|>). */
export function renderConversation(format: ChatFormat, messages: readonly Message[]): string {
  return messages.map((m) => renderMessage(format, m)).join("");
}

/** The marker that opens the agent's turn ("Agent:"): the model continues after it. */
export function agentPrompt(format: ChatFormat): string {
  return `${format.markers.assistant}:`;
}

export interface EncodedConversation {
  /** Token ids, starting with `startId` when one is given. */
  ids: number[];
  /** 1 where the token is part of an agent message's content (its own choice), 0 elsewhere. */
  agentMask: Uint8Array;
}

/**
 * The token ids of `messages` (after `startId`, e.g. GPT-2's <|endoftext|>), built piece by piece
 * (see the module comment), with the agent's tokens marked; `openAgentTurn` appends "Agent:" so
 * the model writes the next agent message.
 */
export function encodeConversation(format: ChatFormat, tokenizer: TextEncoder, messages: readonly Message[], opts: { startId?: number; openAgentTurn?: boolean } = {}): EncodedConversation {
  const ids: number[] = opts.startId === undefined ? [] : [opts.startId];
  const mask: number[] = opts.startId === undefined ? [] : [0];
  const push = (piece: string, agent: boolean) => {
    for (const id of tokenizer.encode(piece)) {
      ids.push(id);
      mask.push(agent ? 1 : 0);
    }
  };
  for (const m of messages) {
    push(`${format.markers[m.role]}:`, false);
    push(contentPiece(m.content), m.role === "assistant");
  }
  if (opts.openAgentTurn) push(agentPrompt(format), false);
  return { ids, agentMask: Uint8Array.from(mask) };
}

/** Checks a message list: an array of { role, content } with known roles and string contents; throws naming the bad entry. */
export function checkMessages(messages: unknown, what = "messages"): Message[] {
  if (!Array.isArray(messages)) throw new TypeError(`${what} must be an array of { role, content }, got ${typeof messages}`);
  messages.forEach((m, i) => {
    if (typeof m !== "object" || m === null) throw new TypeError(`${what}[${i}] must be an object { role, content }, got ${JSON.stringify(m)}`);
    const { role, content } = m as Record<string, unknown>;
    if (!ROLES.includes(role as Role)) throw new RangeError(`${what}[${i}].role must be one of ${ROLES.join(", ")}, got ${JSON.stringify(role)}`);
    if (typeof content !== "string") throw new TypeError(`${what}[${i}].content must be a string, got ${JSON.stringify(content)}`);
  });
  return messages as Message[];
}
