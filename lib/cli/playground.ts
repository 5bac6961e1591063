/**
 * `tsrl playground [--port 8501] [--no-open] [--host H] [--token-file F] [--runs DIR]` — the
 * course's app in a browser: train, watch, play and edit without Jupyter (lib/serve/playground).
 *
 * It runs on the HTTP server of `tsrl serve --port` (lib/cli/serve-http): on 127.0.0.1 (the default)
 * it needs no token, and answers only requests addressed to a loopback name; on any other --host it
 * needs one (--token-file or TSRL_SERVE_TOKEN), which the page takes from its URL's fragment
 * (http://HOST:PORT/#token=…, never sent to the server). Once listening it prints one JSON line
 * on stdout ({"url", "routes"}) and opens the page in the default browser (--no-open: not).
 * SIGTERM (exit 0) or Ctrl-C (130) stops the run going and the server.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { runsDir } from "../data/paths";
import { mountPlayground } from "../serve/playground/index";
import { parseCommand, type CommandSpec } from "./args";
import { HTTP_FLAGS, httpSettings, runHttpServer } from "./serve-http";

export const DEFAULT_PLAYGROUND_PORT = 8501;
/** Polls from a few open tabs come to a few hundred a minute: the playground's rate limit is higher than serve's. */
const PLAYGROUND_RATE_LIMIT = 6000;

const spec: CommandSpec = {
  usage: "tsrl playground [--port 8501] [--no-open] [--host H] [--token-file F] [--runs DIR]",
  positionals: [],
  flags: [
    ...HTTP_FLAGS.filter((f) => f.name !== "port" && f.name !== "queue" && f.name !== "rate-limit"),
    { name: "port", type: "integer", help: "serve the page on this port (0: a free port, printed)", default: DEFAULT_PLAYGROUND_PORT },
    { name: "rate-limit", type: "integer", help: "requests per minute per token or address, 429 above (0: no limit)", default: PLAYGROUND_RATE_LIMIT },
    { name: "open", type: "boolean", help: "open the page in the default browser", default: true },
    { name: "runs", type: "string", help: "folder of checkpoints to list, save and load", default: "runs/ of this checkout" },
  ],
};

export async function playgroundCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand("playground", argv, spec, "The course's app: Tic-Tac-Toe, the edit agent and GPT-2 in a browser — train, watch, play, edit.");
  if (typeof parsed === "number") return parsed;
  const settings = httpSettings({ ...parsed.flags, port: parsed.flags.port ?? DEFAULT_PLAYGROUND_PORT, "rate-limit": parsed.flags["rate-limit"] ?? PLAYGROUND_RATE_LIMIT });
  if (typeof settings === "string") {
    console.error(`tsrl playground: ${settings}`);
    return 2;
  }
  const runs = path.resolve((parsed.flags.runs as string | undefined) ?? runsDir());
  return runHttpServer(settings, (app) => {
    const playground = mountPlayground(app, { host: settings.host, runsDir: runs });
    return { what: `the playground (checkpoints in ${runs})`, idle: playground.idle, close: playground.close };
  }, {
    verb: "playground",
    noTokenOnLoopback: true,
    onListening(url, token) {
      const page = token === undefined ? `${url}/` : `${url}/#token=${encodeURIComponent(token)}`;
      console.error(`tsrl playground: open ${token === undefined ? page : `${url}/#token=<your token>`}`);
      if (parsed.flags.open !== false) openInBrowser(page);
    },
  });
}

/** Opens `url` in the default browser, if there is one; says so when it cannot. */
function openInBrowser(url: string): void {
  const [command, args] = process.platform === "darwin" ? ["open", [url]] : process.platform === "win32" ? ["cmd", ["/c", "start", "", url]] : ["xdg-open", [url]];
  try {
    const child = spawn(command, args as string[], { stdio: "ignore", detached: true });
    child.on("error", () => console.error(`tsrl playground: could not open a browser (${command}); open the address above yourself`));
    child.unref();
  } catch {
    console.error("tsrl playground: could not open a browser; open the address above yourself");
  }
}
