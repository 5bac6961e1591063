/**
 * The playground's page and what it loads, all from this checkout (the machine may be offline):
 *
 *   GET /                      client/index.html
 *   GET /app/style.css         client/style.css
 *   GET /app/NAME.js           client/NAME.ts, transpiled to an ES module (TypeScript's transpileModule,
 *                              once per file and process: there is no build step, as for lib/)
 *   GET /vendor/NAME.min.js    vega, vega-lite and vega-embed's browser builds from node_modules
 *
 * These routes are public (no token): they hold no data; every /api route needs the token when the
 * server has one. The page finds the token in its URL's fragment (#token=…), which browsers never
 * send to the server.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FastifyInstance } from "fastify";

const CLIENT_DIR = path.join(__dirname, "client");

/** Served file → [package, its path in the package]. */
const VENDOR: Readonly<Record<string, [string, string]>> = {
  "vega.min.js": ["vega", "build/vega.min.js"],
  "vega-lite.min.js": ["vega-lite", "build/vega-lite.min.js"],
  "vega-embed.min.js": ["vega-embed", "build/vega-embed.min.js"],
};

/** A file of a package: up from its entry point to the folder that holds `rel` (the package's "exports" hide its browser builds from require.resolve). */
function packageFile(name: string, rel: string): string {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    if (fs.existsSync(path.join(dir, rel))) return path.join(dir, rel);
    const up = path.dirname(dir);
    if (up === dir || path.basename(dir) === "node_modules") throw new Error(`cannot find ${rel} in the package ${name}`);
    dir = up;
  }
}

const publicRoute = { config: { public: true } } as const;

export function registerPlaygroundAssets(app: FastifyInstance): void {
  const modules = new Map<string, string>();
  const transpile = (name: string): string | undefined => {
    const hit = modules.get(name);
    if (hit !== undefined) return hit;
    const file = path.join(CLIENT_DIR, `${name}.ts`);
    if (!/^[a-z-]+$/.test(name) || !fs.existsSync(file)) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require("typescript") as typeof import("typescript");
    const out = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
    }).outputText;
    modules.set(name, out);
    return out;
  };

  app.get("/", publicRoute, async (_request, reply) => reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").send(fs.readFileSync(path.join(CLIENT_DIR, "index.html"))));
  app.get("/app/style.css", publicRoute, async (_request, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "no-cache").send(fs.readFileSync(path.join(CLIENT_DIR, "style.css"))));
  app.get<{ Params: { name: string } }>("/app/:name", publicRoute, async (request, reply) => {
    const name = request.params.name.replace(/\.js$/, "");
    const code = request.params.name.endsWith(".js") ? transpile(name) : undefined;
    if (code === undefined) return reply.code(404).type("text/plain").send(`no such file: /app/${request.params.name.slice(0, 80)}`);
    return reply.type("text/javascript; charset=utf-8").header("cache-control", "no-cache").send(code);
  });
  app.get<{ Params: { name: string } }>("/vendor/:name", publicRoute, async (request, reply) => {
    const file = VENDOR[request.params.name];
    if (!file) return reply.code(404).type("text/plain").send(`no such file: /vendor/${request.params.name.slice(0, 80)}`);
    return reply.type("text/javascript; charset=utf-8").header("cache-control", "max-age=3600").send(fs.readFileSync(packageFile(file[0], file[1])));
  });
}
