/**
 * `tsrl lab` (`npm start`): opens JupyterLab on notebooks/, or the classic notebook when only that is
 * installed, with this checkout's own kernel spec first on JUPYTER_PATH (./kernel-install.ts): the
 * notebooks' kernel `tsrl` is this checkout's, whatever the user's Jupyter has registered under that
 * name, and nothing user-wide is written.
 */
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { HOW_TO_GET_JUPYTER, jupyterEnv, localJupyterDataDir } from "./kernel-install";

const notebooksDir = path.resolve(__dirname, "..", "..", "notebooks");

function hasJupyterApp(app: string): boolean {
  const run = spawnSync("jupyter", [app, "--version"], { encoding: "utf8", timeout: 60_000 });
  return !run.error && run.status === 0;
}

export async function labCommand(args: string[]): Promise<number> {
  const app = ["lab", "notebook"].find(hasJupyterApp);
  if (!app) {
    console.error(HOW_TO_GET_JUPYTER);
    return 1;
  }
  const env = jupyterEnv();
  console.log(`tsrl: kernel "tsrl" is this checkout's (spec in ${localJupyterDataDir()})`);
  const dirFlag = app === "lab" ? "--ServerApp.root_dir" : "--notebook-dir";
  // Jupyter refuses to run as root without this flag; as root (e.g. in a container) that is the intent.
  const rootFlag = process.getuid?.() === 0 && !args.includes("--allow-root") ? ["--allow-root"] : [];
  const child = spawn("jupyter", [app, `${dirFlag}=${notebooksDir}`, ...rootFlag, ...args], { cwd: notebooksDir, stdio: "inherit", env });
  // Ctrl-C goes to the whole foreground group; Jupyter handles it (it asks to confirm), we just wait.
  process.on("SIGINT", () => {});
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 0)));
}
