/**
 * The kernel's five ZeroMQ sockets, bound to the ports of the connection file Jupyter wrote.
 *
 * shell/control/stdin are ROUTERs, iopub a PUB, heartbeat a REP that echoes. The heartbeat runs in a
 * worker thread so it keeps answering while a cell runs synchronous code on the main thread.
 * zeromq.js allows one pending send per socket, so sends go through a queue per socket.
 */
import { Worker } from "node:worker_threads";
import * as zmq from "zeromq";
import { decode, encode, type Message, type SigningKey, WireError } from "./wire";

export interface ConnectionInfo extends SigningKey {
  transport: string;
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  kernel_name?: string;
}

export type ChannelName = "shell" | "control" | "stdin" | "iopub";

export interface Channels {
  send(channel: ChannelName, msg: Omit<Message, "buffers">): Promise<void>;
  /** Calls `onMessage` for each verified message on shell, control or stdin; never concurrently per channel. */
  listen(channel: Exclude<ChannelName, "iopub">, onMessage: (msg: Message) => void): void;
  close(): Promise<void>;
}

export function address(info: ConnectionInfo, port: number): string {
  return info.transport === "ipc" ? `ipc://${info.ip}-${port}` : `${info.transport}://${info.ip}:${port}`;
}

export async function openChannels(info: ConnectionInfo, log: (text: string) => void): Promise<Channels> {
  const sockets = {
    shell: new zmq.Router(),
    control: new zmq.Router(),
    stdin: new zmq.Router(),
    iopub: new zmq.Publisher(),
  };
  await Promise.all([
    sockets.shell.bind(address(info, info.shell_port)),
    sockets.control.bind(address(info, info.control_port)),
    sockets.stdin.bind(address(info, info.stdin_port)),
    sockets.iopub.bind(address(info, info.iopub_port)),
  ]);
  const heartbeat = startHeartbeat(address(info, info.hb_port), log);

  const queues = new Map<ChannelName, Promise<void>>();
  const send = (channel: ChannelName, msg: Omit<Message, "buffers">): Promise<void> => {
    const frames = encode(info, msg);
    const previous = queues.get(channel) ?? Promise.resolve();
    const next = previous.then(() => sockets[channel].send(frames)).catch((err) => log(`send on ${channel} failed: ${err}`));
    queues.set(channel, next);
    return next;
  };

  const listen: Channels["listen"] = (channel, onMessage) => {
    (async () => {
      for await (const frames of sockets[channel]) {
        try {
          onMessage(decode(info, frames as Buffer[]));
        } catch (err) {
          log(err instanceof WireError ? `dropped message on ${channel}: ${err.message}` : `handler failed on ${channel}: ${(err as Error).stack}`);
        }
      }
    })().catch((err) => {
      if (!sockets[channel].closed) log(`${channel} listener stopped: ${err}`);
    });
  };

  return {
    send,
    listen,
    async close() {
      await Promise.allSettled([...queues.values()]);
      await heartbeat.stop();
      for (const socket of Object.values(sockets)) socket.close();
    },
  };
}

/** An echoing REP socket in a worker thread (stopped before exit: zeromq aborts if a worker dies holding a socket). */
function startHeartbeat(endpoint: string, log: (text: string) => void): { stop(): Promise<void> } {
  const source = `
    const zmq = require(${JSON.stringify(require.resolve("zeromq"))});
    const { workerData, parentPort } = require("node:worker_threads");
    const socket = new zmq.Reply();
    parentPort.on("message", () => { socket.close(); process.exit(0); });
    (async () => {
      await socket.bind(workerData);
      parentPort.postMessage("ready");
      for await (const frames of socket) await socket.send(frames);
    })().catch((err) => { if (!socket.closed) throw err; });
  `;
  const worker = new Worker(source, { eval: true, workerData: endpoint });
  let exited = false;
  worker.on("exit", () => (exited = true));
  worker.on("error", (err) => log(`heartbeat worker failed: ${err}`));
  worker.unref();
  return {
    async stop() {
      if (exited) return;
      const gone = new Promise((resolve) => worker.once("exit", resolve));
      worker.postMessage("stop");
      await gone;
    },
  };
}
