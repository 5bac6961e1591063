/**
 * Drives the tsrl kernel as Jupyter does: writes a connection file, starts
 * `node lib/cli/tsrl.cjs kernel --connection-file F` in its own process group, talks to it over
 * ZeroMQ (DEALER for shell/control, SUB for iopub), signed with the shared key.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import * as zmq from "zeromq";
import { decode, encode, makeHeader, type Message } from "../lib/kernel/wire";

export const root = path.resolve(__dirname, "..");

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => resolve(server));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export interface Outputs {
  reply: Message;
  /** iopub messages for the request, between busy and idle, without status messages. */
  outputs: Message[];
}

export interface TestKernel {
  process: ChildProcess;
  stderr(): string;
  /** Sends a request on shell (or control) and returns its msg_id. */
  send(msgType: string, content: Record<string, unknown>, channel?: "shell" | "control"): Promise<string>;
  /** Waits for the reply and the iopub messages (until idle) of a request. */
  collect(msgId: string): Promise<Outputs>;
  request(msgType: string, content: Record<string, unknown>, channel?: "shell" | "control"): Promise<Outputs>;
  execute(code: string, extra?: Record<string, unknown>): Promise<Outputs>;
  /** Resolves once the kernel process's own stderr/stdout (not cell output) contains `text`. */
  waitForProcessOutput(text: string): Promise<void>;
  /** Resolves with the first iopub message from now on that matches. */
  waitForIopub(match: (msg: Message) => boolean): Promise<Message>;
  /** Resolves with the first iopub message (already received or still to come) of request `msgId` that matches. */
  waitForOutput(msgId: string, match: (msg: Message) => boolean): Promise<Message>;
  signal(sig: NodeJS.Signals): void;
  close(): Promise<void>;
}

/** `env`: extra environment variables for the kernel (e.g. NODE_OPTIONS=--max-old-space-size=…). */
export async function startTestKernel(options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TestKernel> {
  const [shell, iopub, stdin, control, hb] = await freePorts(5);
  const key = randomBytes(16).toString("hex");
  const info = { transport: "tcp", ip: "127.0.0.1", shell_port: shell, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb, key, signature_scheme: "hmac-sha256", kernel_name: "tsrl" };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-kernel-"));
  const file = path.join(dir, "connection.json");
  fs.writeFileSync(file, JSON.stringify(info));
  const child = spawn(process.execPath, [path.join(root, "lib", "cli", "tsrl.cjs"), "kernel", "--connection-file", file], {
    cwd: options.cwd ?? dir,
    detached: true, // own process group, like Jupyter's start_new_session
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  let stderr = "";
  const onOutput = (d: Buffer) => {
    stderr += d;
    notify();
  };
  child.stderr!.on("data", onOutput);
  child.stdout!.on("data", onOutput);

  const session = randomUUID();
  // Jupyter's clients use their session id as ZeroMQ identity, so a reply still reaches them after they reconnect
  const sockets = { shell: new zmq.Dealer({ routingId: session }), control: new zmq.Dealer({ routingId: session }) };
  const sub = new zmq.Subscriber();
  sockets.shell.connect(`tcp://127.0.0.1:${shell}`);
  sockets.control.connect(`tcp://127.0.0.1:${control}`);
  sub.connect(`tcp://127.0.0.1:${iopub}`);
  sub.subscribe();

  const replies = new Map<string, Message>();
  const iopubLog: Message[] = [];
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  for (const socket of [sockets.shell, sockets.control]) {
    void (async () => {
      for await (const frames of socket) {
        const msg = decode(info, frames as Buffer[]);
        replies.set(String(msg.parent_header.msg_id), msg);
        notify();
      }
    })().catch(() => {});
  }
  void (async () => {
    for await (const frames of sub) {
      iopubLog.push(decode(info, frames as Buffer[]));
      notify();
    }
  })().catch(() => {});

  const until = <T>(check: () => T | undefined, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const test = () => {
        const value = check();
        if (value !== undefined) {
          listeners.delete(test);
          child.off("exit", onExit);
          resolve(value);
        }
      };
      const onExit = (code: number | null) => reject(new Error(`kernel exited (${code}) while waiting for ${what}\n${stderr}`));
      listeners.add(test);
      child.once("exit", onExit);
      test();
    });

  const sendQueue = { shell: Promise.resolve(), control: Promise.resolve() };
  const send: TestKernel["send"] = async (msgType, content, channel = "shell") => {
    const header = makeHeader(msgType, session);
    const frames = encode(info, { identities: [], header, parent_header: {}, metadata: {}, content });
    await (sendQueue[channel] = sendQueue[channel].then(() => sockets[channel].send(frames)));
    return header.msg_id;
  };
  const collect: TestKernel["collect"] = async (msgId) => {
    const reply = await until(() => replies.get(msgId), `the reply to ${msgId}`);
    const forThis = () => iopubLog.filter((m) => m.parent_header.msg_id === msgId);
    await until(() => (forThis().some((m) => m.header.msg_type === "status" && m.content.execution_state === "idle") ? true : undefined), `idle after ${msgId}`);
    return { reply, outputs: forThis().filter((m) => m.header.msg_type !== "status") };
  };
  const request: TestKernel["request"] = async (msgType, content, channel = "shell") => collect(await send(msgType, content, channel));

  // PUB/SUB joins late: ask for kernel_info until its status messages come through iopub.
  for (let attempt = 0; ; attempt++) {
    const id = await send("kernel_info_request", {});
    const seen = await Promise.race([
      until(() => (iopubLog.some((m) => m.parent_header.msg_id === id) ? true : undefined), "iopub"),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 500)),
    ]);
    if (seen) {
      await collect(id);
      break;
    }
    if (attempt > 120) throw new Error(`kernel did not start\n${stderr}`);
  }

  return {
    process: child,
    stderr: () => stderr,
    send,
    collect,
    request,
    execute: (code, extra = {}) => request("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...extra }),
    waitForProcessOutput: (text) => until(() => (stderr.includes(text) ? true : undefined), JSON.stringify(text)).then(() => undefined),
    waitForIopub: (match) => {
      const from = iopubLog.length;
      return until(() => iopubLog.slice(from).find(match), "an iopub message");
    },
    waitForOutput: (msgId, match) => until(() => iopubLog.find((m) => m.parent_header.msg_id === msgId && match(m)), `output of ${msgId}`),
    signal: (sig) => process.kill(-child.pid!, sig),
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        await send("shutdown_request", { restart: false }, "control");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      for (const socket of [sockets.shell, sockets.control, sub]) socket.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Text of all `stream` outputs. */
export function streamText(outputs: Message[], name = "stdout"): string {
  return outputs.filter((m) => m.header.msg_type === "stream" && m.content.name === name).map((m) => m.content.text).join("");
}

export function ofType(outputs: Message[], msgType: string): Message[] {
  return outputs.filter((m) => m.header.msg_type === msgType);
}
