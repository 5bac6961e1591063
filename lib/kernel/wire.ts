/**
 * The Jupyter wire protocol (messaging spec 5.3): framing of multipart ZeroMQ messages and their
 * HMAC signature. Pure functions, no sockets, so they are unit-testable.
 *
 * A message on the wire is: [...routing identities, "<IDS|MSG>", hmac hex, header, parent_header,
 * metadata, content, ...binary buffers]; the signature covers the four JSON frames in that order.
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const PROTOCOL_VERSION = "5.3";
const DELIMITER = "<IDS|MSG>";

export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export interface Message<C = Record<string, unknown>> {
  identities: Buffer[];
  header: Header;
  parent_header: Partial<Header>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** The part of the connection file the wire needs. */
export interface SigningKey {
  key: string;
  signature_scheme: string; // "hmac-sha256" in practice
}

export function sign(key: SigningKey, frames: (string | Buffer)[]): string {
  if (!key.key) return "";
  const algorithm = key.signature_scheme.replace(/^hmac-/, "");
  const hmac = createHmac(algorithm, key.key);
  for (const frame of frames) hmac.update(frame);
  return hmac.digest("hex");
}

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

/** Parses and verifies a received multipart message; throws WireError on a bad frame or signature. */
export function decode(key: SigningKey, frames: Buffer[]): Message {
  const at = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
  if (at < 0 || frames.length < at + 6) throw new WireError(`malformed message: ${frames.length} frames, delimiter at ${at}`);
  const [signature, header, parent, metadata, content] = frames.slice(at + 1, at + 6);
  if (key.key) {
    const expected = Buffer.from(sign(key, [header, parent, metadata, content]));
    const got = Buffer.from(signature.toString());
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) throw new WireError("invalid HMAC signature");
  }
  return {
    identities: frames.slice(0, at),
    header: JSON.parse(header.toString()),
    parent_header: JSON.parse(parent.toString()),
    metadata: JSON.parse(metadata.toString()),
    content: JSON.parse(content.toString()),
    buffers: frames.slice(at + 6),
  };
}

/** Serialises a message to frames, signing it. */
export function encode(key: SigningKey, msg: Omit<Message, "buffers"> & { buffers?: Buffer[] }): (string | Buffer)[] {
  const json = [msg.header, msg.parent_header, msg.metadata, msg.content].map((part) => JSON.stringify(part));
  return [...msg.identities, DELIMITER, sign(key, json), ...json, ...(msg.buffers ?? [])];
}

export function makeHeader(msgType: string, session: string): Header {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username: "kernel",
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}
