/**
 * Tool calls in plain text, parsed strictly.
 *
 * An agent message is either a call or a message to the user. A call is the whole message, exactly
 *
 *   <call>TOOL ARGUMENT</call>          e.g.  <call>lookup order 4471</call>
 *
 * one known tool name, one space, an argument that the tool's pattern accepts, nothing before or
 * after (surrounding whitespace aside). A message that contains "<call" or "call>" anywhere but is
 * not exactly that is a *malformed* call, never a message to the user: the environment answers it
 * with an error that says what is wrong, and the episode goes on. So
 * "Let me check. <call>lookup order 4471</call>", "<call>lookup order 4471", "<call>find order 4471</call>",
 * "<call>lookup 4471</call>" and "<call>lookup order 447</call>" are all malformed (OrderDesk-v0's
 * lookup takes "order" and a 4-digit number), each with its
 * own error.
 */

/** A tool the agent may call: its name and what its one argument must look like. */
export interface ToolSpec {
  name: string;
  /** The whole argument must match (anchored here). */
  argument: RegExp;
  /** What the argument is, for error messages: "a 4-digit order number". */
  argumentHelp: string;
}

export type ToolCallParse =
  | { kind: "message" }
  | { kind: "call"; tool: string; argument: string }
  | { kind: "malformed"; error: string };

const OPEN = "<call>", CLOSE = "</call>";

/** Parses one agent message (see the module comment). Never throws on any string. */
export function parseToolCall(text: string, tools: readonly ToolSpec[]): ToolCallParse {
  if (tools.length === 0) throw new RangeError("parseToolCall: no tools");
  const t = text.trim();
  if (!/<\s*\/?\s*call|call\s*>/i.test(t)) return { kind: "message" };
  const opens = t.split(OPEN).length - 1, closes = t.split(CLOSE).length - 1;
  if (opens === 0) return { kind: "malformed", error: closes > 0 ? `${CLOSE} without ${OPEN}` : `a call must start with exactly ${OPEN}` };
  if (opens > 1 || closes > 1) return { kind: "malformed", error: "one call per message" };
  if (closes === 0) return { kind: "malformed", error: `${OPEN} is not closed with ${CLOSE}` };
  if (!t.startsWith(OPEN) || !t.endsWith(CLOSE)) return { kind: "malformed", error: "the call must be the whole message, with no text before or after it" };
  const inner = t.slice(OPEN.length, t.length - CLOSE.length);
  if (inner.trim() === "") return { kind: "malformed", error: "the call is empty" };
  const space = inner.indexOf(" ");
  const name = space < 0 ? inner : inner.slice(0, space);
  const tool = tools.find((x) => x.name === name);
  if (!tool) return { kind: "malformed", error: `unknown tool ${JSON.stringify(name)} (tools: ${tools.map((x) => x.name).join(", ")})` };
  const argument = space < 0 ? "" : inner.slice(space + 1);
  if (argument === "") return { kind: "malformed", error: `${tool.name} needs ${tool.argumentHelp}` };
  if (!new RegExp(`^(?:${tool.argument.source})$`, tool.argument.flags.replace("g", "")).test(argument)) {
    return { kind: "malformed", error: `${tool.name} needs ${tool.argumentHelp}, got ${JSON.stringify(argument)}` };
  }
  return { kind: "call", tool: tool.name, argument };
}
