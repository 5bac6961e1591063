/**
 * A classic Jupyter Notebook server and a headless Chromium for tests/browser.test.ts.
 *
 * The server is Debian's `jupyter notebook` (6.4.x) on 127.0.0.1 with a random token, serving a
 * temporary folder. It sees only what the test gives it: the tsrl kernel spec is written into a
 * temporary JUPYTER_PATH (pointing at this checkout), and Jupyter's config, data (which holds the
 * notebook trust database) and runtime dirs are fresh temporary folders, so nothing from the user's
 * profile leaks in and every notebook opens untrusted, as it would for a new learner.
 *
 * Chromium is Debian's `chromium`, driven by puppeteer-core (which downloads no browser of its own).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { writeKernelSpec } from "../lib/cli/kernel-install";
import { runProcess } from "./run-process";

// What the page-side functions below touch. Declared here (module scope only) because the
// project's tsconfig has no DOM lib; these functions run inside Chromium, not in node.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare const Jupyter: any;
declare const MutationObserver: any;

// ---------------------------------------------------------------------------------------------
// Chromium

/** Where Chromium may be: CHROME_PATH first, then Debian's and Ubuntu's names. */
const CHROMIUM_CANDIDATES = [process.env.CHROME_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(
  (p): p is string => Boolean(p),
);

/** The Chromium executable, or an error that says how to get it (tests fail, not skip, without it). */
export function findChromium(): string {
  for (const candidate of CHROMIUM_CANDIDATES) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(
    `Chromium not found (looked at ${CHROMIUM_CANDIDATES.join(", ")}). ` +
      "Install Debian's package: sudo apt-get install chromium (or set CHROME_PATH); .ci/run installs it.",
  );
}

/**
 * Starts headless Chromium with a fresh profile. The background-networking flags matter on an
 * offline machine: without them Chromium's own update/sync connections are refused many at a time.
 */
export async function launchChromium(profileDir: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath: findChromium(),
    headless: true,
    defaultViewport: { width: 1280, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      `--user-data-dir=${profileDir}`,
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Jupyter Notebook server

export interface NotebookServer {
  /** Folder the server serves (notebooks are copied or written here). */
  notebookDir: string;
  /** Absolute URL of a path on the server, with the token. */
  url(pathname: string): string;
  /** Everything the server printed so far. */
  log(): string;
  /** Shuts down its kernels, then stops the server's process group. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True when Debian's classic notebook answers `jupyter notebook --version`. */
export function hasClassicNotebook(): boolean {
  const run = spawnSync("jupyter", ["notebook", "--version"], { encoding: "utf8", timeout: 60_000 });
  return !run.error && run.status === 0;
}

/**
 * Starts `jupyter notebook` on a free port of 127.0.0.1 serving `notebookDir`, with the tsrl
 * kernel spec and all Jupyter state in folders under `stateDir`; resolves once /api/status answers.
 */
export async function startNotebookServer(notebookDir: string, stateDir: string): Promise<NotebookServer> {
  const jupyterPath = path.join(stateDir, "jupyter-path");
  writeKernelSpec(jupyterPath);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JUPYTER_PATH: jupyterPath,
    JUPYTER_CONFIG_DIR: path.join(stateDir, "config"),
    JUPYTER_DATA_DIR: path.join(stateDir, "data"),
    JUPYTER_RUNTIME_DIR: path.join(stateDir, "runtime"),
    IPYTHONDIR: path.join(stateDir, "ipython"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  for (const dir of ["config", "data", "runtime", "ipython"]) fs.mkdirSync(path.join(stateDir, dir), { recursive: true });

  const port = await freePort();
  const token = randomBytes(24).toString("hex");
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    "jupyter",
    ["notebook", "--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0", `--NotebookApp.token=${token}`,
      "--NotebookApp.password=", `--notebook-dir=${notebookDir}`, "--allow-root"],
    { cwd: notebookDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout!.on("data", (d: Buffer) => (log += d));
  child.stderr!.on("data", (d: Buffer) => (log += d));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => { exited = true; resolve(); }));

  const url = (pathname: string) => `${base}${pathname}${pathname.includes("?") ? "&" : "?"}token=${token}`;
  const api = (pathname: string, init?: RequestInit) => fetch(url(pathname), { ...init, signal: AbortSignal.timeout(10_000) });

  const stop = async () => {
    if (exited) return;
    // Kernels run in their own sessions, so stopping the server's process group would orphan them.
    try {
      const kernels = (await (await api("/api/kernels")).json()) as { id: string }[];
      await Promise.all(kernels.map((k) => api(`/api/kernels/${k.id}`, { method: "DELETE" })));
    } catch {
      // the server may already be gone; its own shutdown still cleans up kernels it knows
    }
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      return;
    }
    const timer = setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ } }, 10_000);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`jupyter notebook exited before answering:\n${log.slice(-4000)}`);
    try {
      const res = await api("/api/status");
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jupyter notebook did not answer /api/status within 90 s:\n${log.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { notebookDir, url, log: () => log, stop };
}

// ---------------------------------------------------------------------------------------------
// Notebook files

export interface NbOutput {
  output_type: string;
  name?: string;
  data?: Record<string, unknown>;
  text?: string | string[];
  traceback?: string[];
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
}
export interface NbCell {
  cell_type: string;
  source: string | string[];
  outputs?: NbOutput[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}
export interface NbFile { cells: NbCell[]; metadata: Record<string, unknown>; nbformat: number; nbformat_minor: number }

export const CHART_MIMES = ["application/vnd.vegalite.v5+json", "image/png", "image/svg+xml"] as const;

/** A chart output: its saved data has a vega-lite spec, a PNG or an SVG. */
export function isChartOutput(output: NbOutput): boolean {
  return CHART_MIMES.some((mime) => output.data?.[mime] !== undefined);
}

/** How the page's classic notebook picks what to draw for a MIME bundle (read from OutputArea). */
export interface OutputRules {
  /** MIME types in order of preference (`OutputArea.display_order`). */
  order: string[];
  /** Types it can draw at all (`OutputArea.append_map`). */
  drawable: string[];
  /** Types it draws in an untrusted notebook as they are (`OutputArea.safe_outputs`). */
  safe: string[];
}

/** Reads the classic notebook's own display rules from the page. */
export function outputRules(page: Page): Promise<OutputRules> {
  return page.evaluate(() => {
    const area = Jupyter.OutputArea;
    return {
      order: [...area.display_order],
      drawable: Object.keys(area.append_map),
      safe: Object.keys(area.safe_outputs).filter((k) => area.safe_outputs[k]),
    };
  }) as Promise<OutputRules>;
}

/**
 * The MIME type of `data` that the classic notebook draws, or undefined when it draws none (then a
 * display_data output gets no output area at all). Untrusted, it draws only its safe types, plus
 * HTML after sanitizing it (OutputArea.append_mime_type).
 */
export function drawnMime(data: Record<string, unknown>, rules: OutputRules, trusted: boolean): string | undefined {
  return rules.order.find((mime) => data[mime] !== undefined && rules.drawable.includes(mime)
    && (trusted || rules.safe.includes(mime) || mime === "text/html" || mime === "text/svg"));
}

/**
 * For each saved output, the index of the `.output_area` that shows it, or undefined when the
 * classic notebook draws no area for it (OutputArea.append_output): an execute_result always gets
 * one, a display_data only when it has a type it draws, an error when it has a traceback, and a
 * stream output right after one of the same stream joins that one's area.
 */
export function outputAreaIndices(outputs: readonly NbOutput[], rules: OutputRules, trusted: boolean): (number | undefined)[] {
  const indices: (number | undefined)[] = [];
  let areas = 0;
  outputs.forEach((o, i) => {
    const prev = i > 0 ? outputs[i - 1] : undefined;
    let drawn: boolean;
    if (o.output_type === "stream") {
      if (prev?.output_type === "stream" && prev.name === o.name) {
        indices.push(indices[i - 1]);
        return;
      }
      drawn = true;
    } else if (o.output_type === "display_data") drawn = drawnMime(o.data ?? {}, rules, trusted) !== undefined;
    else if (o.output_type === "error") drawn = (o.traceback ?? []).length > 0;
    else drawn = true;
    indices.push(drawn ? areas++ : undefined);
  });
  return indices;
}

/** A minimal notebook for the tsrl kernel whose code cells hold `sources`, with no outputs. */
export function tsrlNotebook(sources: readonly string[]): NbFile {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { display_name: "TypeScript (tsrl)", language: "typescript", name: "tsrl" },
      language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript" },
    },
    cells: sources.map((source, i) => ({ cell_type: "code", id: `cell-${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  };
}

// ---------------------------------------------------------------------------------------------
// The classic notebook page

/** What one `.output_area` shows, as measured in the page. */
export interface RenderedOutput {
  /** `img` / `svg` for a picture, `text` for a text/plain fallback, `error`, `html`, or `other`. */
  kind: "img" | "svg" | "text" | "error" | "html" | "other";
  /** The output subarea's classes (`output_png`, `output_text`, …). */
  classes: string;
  /** The first 300 characters of its text. */
  text: string;
  /** For `img`: the start of the src, its natural size and whether it loaded. */
  src?: string;
  srcLength?: number;
  naturalWidth?: number;
  naturalHeight?: number;
  complete?: boolean;
  /** Rendered size of the picture (or of the subarea when there is none). */
  width: number;
  height: number;
  /**
   * How many inline styles the untrusted notebook's sanitiser destroyed in this output: it
   * rewrites each `style="…"` it does not allow (every one, untrusted) as `undefined:undefined`.
   */
  stylesLost: number;
  /** For an HTML output: all its text as the reader sees it (innerText, up to 20,000 characters). */
  fullText?: string;
}

export interface RenderedCell {
  cellType: string;
  /** The `In [n]:` prompt text of a code cell. */
  prompt: string;
  running: boolean;
  outputs: RenderedOutput[];
}

// Guards against bundlers that wrap functions with a `__name(...)` helper: functions passed to
// page.evaluate are sent as source text, and that helper does not exist in the page.
const NAME_SHIM = "globalThis.__name = globalThis.__name || ((f) => f);";

/** A new tab in `browser`; page-side errors are collected for failure messages. */
export async function newPage(browser: Browser): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(NAME_SHIM);
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(String((err as Error).message ?? err)));
  return { page, pageErrors };
}

/**
 * Opens `name` (a path under the server's folder) in `page` and waits until the classic notebook
 * has loaded it and every image in it has decoded.
 */
export async function openNotebook(page: Page, server: NotebookServer, name: string): Promise<void> {
  await page.goto(server.url(`/notebooks/${encodeURIComponent(name)}`), { waitUntil: "domcontentloaded", timeout: 60_000 });
  await page.waitForFunction(() => Boolean(window.Jupyter?.notebook?._fully_loaded), { timeout: 60_000, polling: 100 });
  await waitForImages(page);
}

/** Resolves once every `<img>` in the notebook has loaded (or failed). */
export async function waitForImages(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const imgs = Array.from(document.querySelectorAll("#notebook-container img")) as any[];
    await Promise.all(imgs.map((img) => (img.complete ? undefined : img.decode().catch(() => undefined))));
  });
}

/** Whether the open notebook is trusted (a new learner's is not). */
export function isTrusted(page: Page): Promise<boolean> {
  return page.evaluate(() => Boolean(Jupyter.notebook.trusted));
}

/** Every cell of the open notebook, in order, with what its output areas show. */
export function renderedCells(page: Page): Promise<RenderedCell[]> {
  return page.evaluate(() => {
    const describe = (area: any) => {
      const sub = area.querySelector(".output_subarea") ?? area;
      const classes = String(sub.className ?? "");
      const text = String(sub.innerText ?? sub.textContent ?? "").slice(0, 300);
      const stylesLost = (String(area.innerHTML).match(/undefined:undefined/g) ?? []).length;
      const box = (el: any) => {
        const r = el.getBoundingClientRect();
        return { width: r.width, height: r.height };
      };
      const img = sub.querySelector("img");
      if (img) {
        const src = String(img.getAttribute("src") ?? "");
        return { kind: "img", classes, text, src: src.slice(0, 40), srcLength: src.length, naturalWidth: img.naturalWidth,
          naturalHeight: img.naturalHeight, complete: img.complete, stylesLost, ...box(img) };
      }
      const svg = sub.querySelector("svg");
      if (svg) return { kind: "svg", classes, text, stylesLost, ...box(svg) };
      const kind = classes.includes("output_error") ? "error"
        : classes.includes("output_text") || classes.includes("output_stream") ? "text"
        : classes.includes("output_html") ? "html" : "other";
      const fullText = kind === "html" ? String(sub.innerText ?? "").slice(0, 20_000) : undefined;
      return { kind, classes, text, stylesLost, fullText, ...box(sub) };
    };
    const cells = Array.from(document.querySelectorAll("#notebook-container > .cell")) as any[];
    return cells.map((cell) => ({
      cellType: cell.classList.contains("code_cell") ? "code" : cell.classList.contains("text_cell") ? "markdown" : "other",
      prompt: String(cell.querySelector(".input_prompt")?.textContent ?? "").replace(/\s+/g, " ").trim(),
      running: cell.classList.contains("running"),
      outputs: (Array.from(cell.querySelectorAll(".output_wrapper .output_area")) as any[]).map(describe),
    }));
  }) as Promise<RenderedCell[]>;
}

/** Why a rendered output is not a visible picture, or undefined when it is one. */
export function notAPicture(out: RenderedOutput | undefined): string | undefined {
  if (!out) return "no output area at all";
  if (out.kind === "img") {
    if (!out.complete || !out.naturalWidth || !out.naturalHeight)
      return `an <img> that did not load (natural size ${out.naturalWidth}x${out.naturalHeight}, src ${JSON.stringify(out.src)}…)`;
    if (out.width < 1 || out.height < 1) return `an <img> drawn at ${out.width}x${out.height} px`;
    return undefined;
  }
  if (out.kind === "svg") return out.width >= 1 && out.height >= 1 ? undefined : `an <svg> drawn at ${out.width}x${out.height} px`;
  return `${out.kind === "text" ? "only the text fallback" : `a ${out.kind} output (${out.classes})`}: ${JSON.stringify(out.text.slice(0, 160))}`;
}

/** Waits until the kernel of the open notebook is connected and idle. */
export async function waitForKernelIdle(page: Page, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    () => Boolean(Jupyter.notebook.kernel?.is_connected?.()) && Boolean(document.querySelector("#kernel_indicator_icon.kernel_idle_icon")),
    { timeout, polling: 200 },
  );
}

/**
 * True once no code cell is running. (Cells are marked running as soon as they are queued, and a
 * cell queued after one that failed is unmarked without running, so this is "all done".)
 */
export function codeCellsFinished(page: Page): Promise<boolean> {
  return page.evaluate(() => document.querySelector("#notebook-container > .cell.code_cell.running") === null);
}

/** True while cell `index` runs and shows an output other than a log stream (a chart or its text). */
export function showsChartWhileRunning(page: Page, index: number): Promise<boolean> {
  return page.evaluate((i: number) => {
    const cell = document.querySelectorAll("#notebook-container > .cell")[i];
    return Boolean(cell?.classList.contains("running") && cell.querySelector(".output_area .output_subarea:not(.output_stream)"));
  }, index);
}

/**
 * Starts watching the output of cell `index`: every change to it is recorded (time, whether the
 * cell was still running, and what the last output area showed, with a hash of an image's src),
 * so no in-place redraw is missed between samples. Read the record with `watchedFrames`.
 */
export async function watchCellOutput(page: Page, index: number): Promise<void> {
  await page.evaluate((i: number) => {
    const cell = document.querySelectorAll("#notebook-container > .cell")[i];
    const hash = (s: string) => {
      let h = 5381;
      for (let k = 0; k < s.length; k++) h = ((h * 33) ^ s.charCodeAt(k)) >>> 0;
      return `${s.length}:${h.toString(16)}`;
    };
    const frames: unknown[] = [];
    const start = performance.now();
    let last = "";
    const record = () => {
      const areas = cell.querySelectorAll(".output_wrapper .output_area");
      const area = areas[areas.length - 1];
      const img = area?.querySelector("img");
      const svg = area?.querySelector("svg");
      const sub = area?.querySelector(".output_subarea");
      const frame = {
        t: Math.round(performance.now() - start),
        running: cell.classList.contains("running"),
        kind: img ? "img" : svg ? "svg" : sub ? String(sub.className) : "none",
        image: img ? hash(String(img.getAttribute("src") ?? "")) : svg ? hash(String(svg.outerHTML)) : undefined,
        text: img || svg ? "" : String(sub?.innerText ?? "").slice(0, 160),
      };
      const key = `${frame.running}|${frame.kind}|${frame.image}|${frame.text}`;
      if (key !== last) frames.push(frame);
      last = key;
    };
    window.__tsrlFrames = frames;
    new MutationObserver(record).observe(cell, { subtree: true, childList: true, attributes: true, characterData: true });
    record();
  }, index);
}

export interface OutputFrame {
  /** Milliseconds since watching began. */
  t: number;
  running: boolean;
  kind: string;
  /** Hash of the picture (`length:hash` of the img src or svg markup), when there is one. */
  image?: string;
  text: string;
}

export function watchedFrames(page: Page): Promise<OutputFrame[]> {
  return page.evaluate(() => window.__tsrlFrames ?? []) as Promise<OutputFrame[]>;
}

/**
 * Full-page screenshot of the notebook. The classic notebook scrolls inside `#site`, not the
 * document, so the page is let grow to its content and the viewport is made that tall (capped
 * below Chromium's texture limit) for the shot, then put back.
 */
export async function screenshotNotebook(page: Page, file: string): Promise<void> {
  const viewport = page.viewport() ?? { width: 1280, height: 900 };
  const height = await page.evaluate(() => {
    const style = document.createElement("style");
    style.id = "tsrl-full-page";
    style.textContent = "html, body, #site { height: auto !important; overflow: visible !important; }";
    document.head.appendChild(style);
    return Math.ceil(document.documentElement.scrollHeight);
  });
  try {
    await page.setViewport({ ...viewport, height: Math.min(Math.max(height, viewport.height), 16_000) });
    await page.screenshot({ path: file as `${string}.png` });
  } finally {
    await page.evaluate(() => document.getElementById("tsrl-full-page")?.remove());
    await page.setViewport(viewport);
  }
}

/**
 * Screenshots of single output areas: for each shot, cell `cell`'s area `area` (as
 * `renderedCells` counts them) into `file`. The classic notebook scrolls inside #site, where
 * element screenshots of a long page miss their element, so the page is let grow to its content
 * first (as `screenshotNotebook` does) and each area is clipped out in page coordinates.
 */
export async function screenshotOutputs(page: Page, shots: readonly { cell: number; area: number; file: string }[]): Promise<void> {
  if (shots.length === 0) return;
  await page.evaluate(() => {
    const style = document.createElement("style");
    style.id = "tsrl-full-page";
    style.textContent = "html, body, #site { height: auto !important; overflow: visible !important; }";
    document.head.appendChild(style);
  });
  try {
    for (const shot of shots) {
      const box = await page.evaluate((cellIndex: number, areaIndex: number) => {
        const cell = document.querySelectorAll("#notebook-container > .cell")[cellIndex];
        const area = cell?.querySelectorAll(".output_wrapper .output_area")[areaIndex];
        if (!area) return undefined;
        const r = area.getBoundingClientRect();
        return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
      }, shot.cell, shot.area);
      if (!box || box.width < 1 || box.height < 1) throw new Error(`screenshotOutputs: cell ${shot.cell} has no visible output area ${shot.area}`);
      await page.screenshot({ path: shot.file as `${string}.png`, clip: box, captureBeyondViewport: true });
    }
  } finally {
    await page.evaluate(() => document.getElementById("tsrl-full-page")?.remove());
  }
}

/**
 * Executes `source` (a notebook) headless through this checkout's tsrl kernel with nbconvert, as
 * the notebook tests do, writing the executed copy as `outFile`. Jupyter's data dir is a fresh one
 * under `stateDir`: whatever nbconvert remembers stays there, so a notebook server with its own
 * state opens the result untrusted, as a new reader would.
 */
export async function executeNotebook(source: string, outFile: string, stateDir: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
  const jupyterPath = path.join(stateDir, "jupyter-path");
  writeKernelSpec(jupyterPath);
  for (const dir of ["config", "data", "runtime"]) fs.mkdirSync(path.join(stateDir, dir), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...extraEnv,
    JUPYTER_PATH: jupyterPath,
    JUPYTER_CONFIG_DIR: path.join(stateDir, "config"),
    JUPYTER_DATA_DIR: path.join(stateDir, "data"),
    JUPYTER_RUNTIME_DIR: path.join(stateDir, "runtime"),
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  // not spawnSync: a blocked worker loses vitest's RPC after 60 s (tests/run-process.ts)
  const run = await runProcess("jupyter", ["nbconvert", "--to", "notebook", "--execute", source, "--output-dir", path.dirname(outFile),
    "--output", path.basename(outFile), "--ExecutePreprocessor.kernel_name=tsrl", "--ExecutePreprocessor.timeout=300"],
  { cwd: path.dirname(source), env, timeout: 400_000 });
  if (run.status !== 0) throw new Error(`nbconvert --execute ${path.basename(source)} failed (exit ${run.status ?? run.signal}):\n${run.stderr.slice(-4000)}`);
}

/** A fresh temporary folder. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
