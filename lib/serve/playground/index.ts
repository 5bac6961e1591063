/**
 * The playground (`tsrl playground`): the course's app, on the HTTP server of lib/serve/app.ts.
 * Its page (client/) has three tabs — Tic-Tac-Toe, the edit agent, GPT-2 — and talks to the API of
 * ./routes.ts; long work runs in a worker thread (./worker.ts), one run at a time, which every
 * browser tab watches.
 *
 *   const app = await createServer({ host: "127.0.0.1" });
 *   const playground = mountPlayground(app, { host: "127.0.0.1", runsDir: runsDir() });
 *   await app.listen({ host: "127.0.0.1", port: 8501 });
 *   …
 *   await app.close(); await playground.close();
 */
import type { FastifyInstance } from "fastify";
import { isLoopback } from "../auth";
import { registerPlaygroundAssets } from "./assets";
import { requireLoopbackHost } from "./host-check";
import type { JobRunner } from "./jobs";
import { registerPlaygroundRoutes } from "./routes";

export interface MountPlaygroundOptions {
  /** The address the server listens on: on loopback, requests must be addressed to a loopback name. */
  host: string;
  /** Where checkpoints are listed, saved and loaded. */
  runsDir: string;
  log?: (text: string) => void;
}

export interface MountedPlayground {
  runner: JobRunner;
  /** Resolves when no run is going. */
  idle(): Promise<void>;
  /** Stops the run going and the worker. */
  close(): Promise<void>;
}

export function mountPlayground(app: FastifyInstance, opts: MountPlaygroundOptions): MountedPlayground {
  if (isLoopback(opts.host)) requireLoopbackHost(app);
  registerPlaygroundAssets(app);
  const runner = registerPlaygroundRoutes(app, { runsDir: opts.runsDir, log: opts.log });
  return { runner, idle: () => runner.idle(), close: () => runner.close() };
}
