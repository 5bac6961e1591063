/**
 * What a learner sees in a real browser: Debian's Chromium (headless, via puppeteer-core) on the
 * classic Jupyter Notebook (Debian's `jupyter notebook` 6.4), started here on 127.0.0.1 with the
 * tsrl kernel from this checkout and no user profile (see tests/browser-harness.ts).
 *
 * 1. Every committed notebook, opened as a new learner opens it: untrusted (it is not signed), so
 *    the classic notebook draws no SVG, strips scripts from HTML, and knows nothing of vega-lite.
 *    Each chart output (saved data with vega-lite, PNG or SVG) must show as a picture with a real
 *    size, not as its text fallback (`<chart "…": point, line; 68 rows>`) or as nothing. Saved
 *    outputs are mapped to the page's output areas by the page's own display rules, so a failure
 *    names the notebook, cell and output, and says what the page showed instead.
 *    Every output must also read right: no inline style destroyed by the sanitiser (it leaves
 *    `style="undefined:undefined"`), a diff shows the same [-…-]/{+…+} markers as its text form,
 *    and a progress bar shows the same line, bar included, as its text form.
 * 2. The same checks on a notebook this test writes and executes itself (nbconvert, on this
 *    checkout's kernel) before opening it untrusted: one cell per kind of output the library
 *    makes (diffs, progress bars, tables, checks, play(), heat maps, captioned boards). It shows
 *    what today's code produces, whatever the committed notebooks were last run with.
 * 3. A short training with a live chart, run from a scratch notebook: while the cell runs the
 *    chart must be a picture that changes (at least two different pictures before the cell
 *    finishes), and what stays afterwards must be a picture.
 *
 * Full-page screenshots go to $TSRL_SCREENSHOTS when set (every page; kept), with one picture of
 * each diff and progress output (and of every output of the library notebook) beside them.
 * Otherwise they go to a temporary folder that is kept, and its path printed, only when a test
 * fails: a notebook's page is then shot only if it fails, the live chart's always.
 * TSRL_BROWSER_NOTEBOOKS=<dir> checks the notebooks of another folder instead of notebooks/ (e.g.
 * freshly re-run ones before committing them). Notebooks are copied into a temporary folder
 * first: opening or running them never touches the repo.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import {
  executeNotebook, findChromium, hasClassicNotebook, isChartOutput, isTrusted, launchChromium, newPage, notAPicture, openNotebook,
  outputAreaIndices, outputRules, renderedCells, screenshotNotebook, screenshotOutputs, startNotebookServer, tempDir, tsrlNotebook,
  codeCellsFinished, showsChartWhileRunning, waitForImages, waitForKernelIdle, watchCellOutput, watchedFrames,
  type NbFile, type NbOutput, type NotebookServer, type OutputFrame, type OutputRules, type RenderedCell,
} from "./browser-harness";
import { notebookFileProblems } from "./notebook-scan";

const root = path.resolve(__dirname, "..");
const sourceDir = path.resolve(process.env.TSRL_BROWSER_NOTEBOOKS ?? path.join(root, "notebooks"));
const notebooks = fs.readdirSync(sourceDir).filter((f) => f.endsWith(".ipynb")).sort();

// ---- The live-chart scratch notebook. Update these cells when the library's API changes. ------
// The last cell is the one watched: it must draw a live chart while it trains.
const LIVE_NOTEBOOK = "live-chart-scratch.ipynb";
const LIVE_RUN_TIMEOUT_MS = 150_000;
const LIVE_CHART_CELLS = [
  `import { createReinforceAgent, liveChart, learningCurve, type ReinforceRow } from "tsrl";`,
  [
    `const agent = await createReinforceAgent({ seed: 1, maxEpisodes: 400, targetReturn: 0, evalThreshold: 0 });`,
    `const live = liveChart<ReinforceRow>((rows) => learningCurve(rows, { x: "episodes", y: "return" }));`,
    `await agent.train({ onUpdate: (row) => live.push(row) });`,
    `await live.close();`,
  ].join("\n"),
];

// ---- The library-outputs notebook: one cell per kind of output the library makes for a reader.
// Executed here, then opened untrusted. Update these cells when the library's API changes.
const LIBRARY_NOTEBOOK = "library-outputs.ipynb";
const LIBRARY_CELLS = [
  [
    `import { diffView, display, progress, table, checkValue, checkThat, checkAll, showSvg } from "tsrl";`,
    `import { diffText } from "tsrl/envs/edit";`,
    `import { play, policyHeatmap, renderBoardsSvg, type MaskedAct } from "tsrl/envs/tictactoe";`,
    `const lowestFree: MaskedAct = (_obs, { mask }) => mask!.indexOf(1);`,
  ].join("\n"),
  [
    `display(diffView([`,
    `  { label: "[capitalise] The sentence should begin with a capital letter.", segments: diffText("the dusty otter wandered.", "The dusty otter wandered."), note: "exact — 1 edit (minimal 1)", ok: true },`,
    `  { label: "[spaces] Collapse the double spaces.", segments: diffText("the  glimmering lake", "The shining  lake."), note: "wrong — 3 edits (minimal 1)", ok: false },`,
    `], { title: "held-out: source → output" }));`,
    `diffView([{ label: "Swap 'glimmering' for 'shining'.", segments: diffText("The glimmering lake", "The shining lake") }])`,
  ].join("\n"),
  [
    `const bar = progress({ total: 5000, desc: "train", unit: "ep" });`,
    `bar.set(488, { return: 21.5 });`,
    `bar.close();                                           // stopped short`,
    `for (const _ of progress(3, { desc: "seeds", unit: "seed" })) await new Promise((r) => setTimeout(r, 20));   // done`,
  ].join("\n"),
  `table(Array.from({ length: 21 }, (_, i) => ({ field: \`field\${i}\`, value: JSON.stringify({ n: i * 1.5 }) })), { title: "21 rows, all shown" })`,
  `checkAll("exercise", [checkValue("answer", 41, 42, { hint: "one more" }), checkThat("shape", true, { pass: "right shape", fail: "wrong" })])`,
  `play(lowestFree, [3, 4, 6, 8, 7])`,
  `display(policyHeatmap({ act: lowestFree, probs: (_o, m) => Float32Array.from(m!, (x) => x / m!.reduce((a, b) => a + b, 0)) }, [[0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, -1, 0, 0, 0, 0]]));`,
  `showSvg(renderBoardsSvg([0, 1, 2, 3].map((k) => ({ board: new Int8Array(9), opts: { caption: k % 2 ? \`lost game \${k}: 0 1 2 4 3 6 5 7\` : "mid-game vs random" } }))));`,
];
// -------------------------------------------------------------------------------------------------

const keepScreenshots = Boolean(process.env.TSRL_SCREENSHOTS);
const screenshotsDir = keepScreenshots ? path.resolve(process.env.TSRL_SCREENSHOTS!) : tempDir("tsrl-screenshots-");
const workDir = tempDir("tsrl-browser-");
const servedDir = path.join(workDir, "notebooks");
let server: NotebookServer | undefined;
let browser: Browser | undefined;
let failed = false;

/** Registers the test as one whose failure keeps the screenshots. */
function keepScreenshotsOnFailure(): void {
  onTestFailed(() => {
    failed = true;
  });
}

function screenshotPath(name: string): string {
  return path.join(screenshotsDir, name.replace(/\.ipynb$/, "") + ".png");
}

/** "cell 14 (In [7])": the cell's index in the file, and its prompt as the page shows it. */
function cellLabel(index: number, rendered: RenderedCell | undefined): string {
  return rendered?.prompt ? `cell ${index} (${rendered.prompt.replace(/:$/, "")})` : `cell ${index}`;
}

/**
 * Compares a notebook file with its page: every saved chart output must be a picture in the
 * output area that shows it. Returns one line per problem, naming the cell and output.
 */
function chartOutputProblems(name: string, nb: NbFile, cells: RenderedCell[], rules: OutputRules, trusted: boolean): string[] {
  if (cells.length !== nb.cells.length) return [`${name}: the page shows ${cells.length} cells, the file has ${nb.cells.length}`];
  const problems: string[] = [];
  nb.cells.forEach((cell, i) => {
    const saved = cell.outputs ?? [];
    if (!saved.some(isChartOutput)) return;
    const where = `${name} ${cellLabel(i, cells[i])}`;
    const areaOf = outputAreaIndices(saved, rules, trusted);
    const expectedAreas = new Set(areaOf.filter((a) => a !== undefined)).size;
    const shown = cells[i].outputs;
    if (shown.length !== expectedAreas) {
      problems.push(`${where}: the file's outputs make ${expectedAreas} output areas, the page shows ${shown.length}`);
      return;
    }
    saved.forEach((output, k) => {
      if (!isChartOutput(output)) return;
      const mimes = Object.keys(output.data ?? {}).join(", ");
      const area = areaOf[k];
      const why = area === undefined
        ? `nothing at all (the classic notebook draws none of ${mimes} in ${trusted ? "a trusted" : "an untrusted"} notebook)`
        : notAPicture(shown[area]);
      if (why) problems.push(`${where} output ${k} (saved as ${mimes}) shows ${why}`);
    });
  });
  return problems;
}

/** The markers of a word diff, [-…-] and {+…+}, in order; "␣" (a space inside a change, in HTML) read as a space. */
function diffMarkers(text: string): string[] {
  return [...text.replace(/␣/g, " ").matchAll(/\[-[\s\S]*?-\]|\{\+[\s\S]*?\+\}/g)].map((m) => m[0]);
}

/** A progress bar's text form: one line with tqdm's |bar| in block characters. */
function isProgressLine(text: string): boolean {
  return !text.includes("\n") && /\d+%\|[█▏▎▍▌▋▊▉ ]*\| /.test(text);
}

const plainText = (output: NbOutput) => [output.data?.["text/plain"] ?? ""].flat().join("");

/** An output to picture on its own: where it is on the page, and a name for the file. */
interface OutputShot { cell: number; area: number; label: string }

/**
 * Whether every output reads right on the page: no style the sanitiser destroyed, a diff's
 * markers and a progress bar's line as in its text form. Returns one line per problem, and the
 * diff and progress outputs found (to picture them).
 */
function readingProblems(name: string, nb: NbFile, cells: RenderedCell[], rules: OutputRules, trusted: boolean): { problems: string[]; shots: OutputShot[]; diffs: number; bars: number } {
  const problems: string[] = [];
  const shots: OutputShot[] = [];
  let diffs = 0, bars = 0;
  if (cells.length !== nb.cells.length) return { problems: [`${name}: the page shows ${cells.length} cells, the file has ${nb.cells.length}`], shots, diffs, bars };
  nb.cells.forEach((cell, i) => {
    const saved = cell.outputs ?? [];
    const areaOf = outputAreaIndices(saved, rules, trusted);
    const shown = cells[i].outputs;
    const where = `${name} ${cellLabel(i, cells[i])}`;
    shown.forEach((out, a) => {
      if (out.stylesLost > 0) problems.push(`${where} output area ${a}: ${out.stylesLost} inline style(s) destroyed by the untrusted sanitiser (style="undefined:undefined"), showing ${JSON.stringify(out.text.slice(0, 120))}`);
    });
    saved.forEach((output, k) => {
      const area = areaOf[k];
      if (area === undefined || output.data?.["text/html"] === undefined || shown[area]?.kind !== "html") return;
      const page = shown[area].fullText ?? "";
      const text = plainText(output);
      const markers = diffMarkers(text);
      if (markers.length > 0) {
        diffs++;
        shots.push({ cell: i, area, label: `diff-cell${i}-out${k}` });
        const seen = diffMarkers(page);
        if (JSON.stringify(seen) !== JSON.stringify(markers)) {
          problems.push(`${where} output ${k}: a diff whose page shows ${seen.length} of its ${markers.length} markers (first expected ${JSON.stringify(markers[0])}, page reads ${JSON.stringify(page.slice(0, 160))})`);
        }
      }
      if (isProgressLine(text)) {
        bars++;
        shots.push({ cell: i, area, label: `progress-cell${i}-out${k}` });
        if (page.trim() !== text.trim()) problems.push(`${where} output ${k}: a progress bar that reads ${JSON.stringify(page.trim())}, not ${JSON.stringify(text.trim())}`);
      }
    });
  });
  return { problems, shots, diffs, bars };
}

/** Ends the page's kernel (opening a notebook starts one) and closes the tab. */
async function closeNotebook(page: Page): Promise<void> {
  await page
    .evaluate(() => new Promise<void>((resolve) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const session = (globalThis as any).Jupyter?.notebook?.session;
      if (!session) return resolve();
      session.delete(() => resolve(), () => resolve());
      setTimeout(resolve, 5_000);
    }))
    .catch(() => undefined);
  await page.close().catch(() => undefined);
}

/** A short account of what the watched output showed, for failure messages. */
function describeFrames(frames: OutputFrame[]): string {
  const lines = frames.map((f) => `  ${String(f.t).padStart(6)} ms ${f.running ? "running" : "done   "} ${f.image ? `${f.kind} ${f.image}` : `${f.kind} ${JSON.stringify(f.text.slice(0, 90))}`}`);
  return lines.length > 40 ? [...lines.slice(0, 20), `  … ${lines.length - 40} more …`, ...lines.slice(-20)].join("\n") : lines.join("\n");
}

describe("notebooks in a real browser (Chromium on the classic Jupyter Notebook)", () => {
  beforeAll(async () => {
    findChromium(); // throws, naming the Debian package, when Chromium is missing
    if (!hasClassicNotebook()) throw new Error("jupyter notebook not found: sudo apt-get install jupyter-notebook (.ci/run installs it)");
    fs.mkdirSync(servedDir, { recursive: true });
    fs.mkdirSync(screenshotsDir, { recursive: true });
    for (const name of notebooks) fs.copyFileSync(path.join(sourceDir, name), path.join(servedDir, name));
    fs.writeFileSync(path.join(servedDir, LIVE_NOTEBOOK), JSON.stringify(tsrlNotebook(LIVE_CHART_CELLS), null, 1));
    // the library notebook runs in a folder of its own, then its executed copy is served
    const libraryDir = path.join(workDir, "library");
    fs.mkdirSync(libraryDir);
    fs.writeFileSync(path.join(libraryDir, LIBRARY_NOTEBOOK), JSON.stringify(tsrlNotebook(LIBRARY_CELLS), null, 1));
    await executeNotebook(path.join(libraryDir, LIBRARY_NOTEBOOK), path.join(servedDir, LIBRARY_NOTEBOOK), path.join(workDir, "nbconvert"));
    server = await startNotebookServer(servedDir, path.join(workDir, "jupyter"));
    browser = await launchChromium(path.join(workDir, "chromium-profile"));
  }, 480_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
    if (keepScreenshots || failed) console.log(`browser.test: screenshots in ${screenshotsDir}`);
    else fs.rmSync(screenshotsDir, { recursive: true, force: true });
  }, 60_000);

  it.each([...notebooks, LIBRARY_NOTEBOOK])("%s: every chart is a picture and every output reads right to a new (untrusted) reader", async (name) => {
    keepScreenshotsOnFailure();
    const nb = JSON.parse(fs.readFileSync(path.join(servedDir, name), "utf8")) as NbFile;
    const { page, pageErrors } = await newPage(browser!);
    try {
      await openNotebook(page, server!, name);
      const trusted = await isTrusted(page);
      expect(trusted, `${name} opened as trusted: the test would not see what a new reader sees`).toBe(false);
      const cells = await renderedCells(page);
      const rules = await outputRules(page);
      const reading = readingProblems(name, nb, cells, rules, trusted);
      const problems = [...chartOutputProblems(name, nb, cells, rules, trusted), ...reading.problems];
      if (name === LIBRARY_NOTEBOOK) {
        // it must have run, and shown every kind it is there to show
        const errors = nb.cells.flatMap((c, i) => (c.outputs ?? []).filter((o) => o.output_type === "error").map((o) => `cell ${i}: ${[o.traceback ?? []].flat().join("\n").slice(0, 600)}`));
        problems.push(...errors.map((e) => `${name}: ${e} (update LIBRARY_CELLS if the library's API changed)`), ...notebookFileProblems(nb).map((p) => `${name} ${p}`));
        expect(reading.diffs, `${name}: diff outputs found`).toBe(2);
        expect(reading.bars, `${name}: progress bars found`).toBe(2);
      }
      // a tall full-page PNG takes seconds on a busy machine: only when it will be kept
      if (keepScreenshots || problems.length > 0) {
        await screenshotNotebook(page, screenshotPath(name));
        const shots = name === LIBRARY_NOTEBOOK
          ? cells.flatMap((c, i) => c.outputs.map((_, a) => ({ cell: i, area: a, label: `cell${i}-area${a}` })))
          : reading.shots;
        await screenshotOutputs(page, shots.map((shot) => ({ ...shot, file: screenshotPath(`${name.replace(/\.ipynb$/, "")}-${shot.label}`) })));
      }
      expect(problems, `${name}: outputs a new reader does not see right (screenshot ${screenshotPath(name)}; page errors: ${pageErrors.join("; ") || "none"})`).toEqual([]);
    } finally {
      await closeNotebook(page);
    }
  }, 120_000);

  it("a training cell's live chart is a picture that changes while the cell runs", async () => {
    keepScreenshotsOnFailure();
    const { page, pageErrors } = await newPage(browser!);
    const liveCell = LIVE_CHART_CELLS.length - 1;
    const story = async () => {
      const frames = await watchedFrames(page).catch(() => []);
      return `${LIVE_NOTEBOOK} cell ${liveCell}: what its output showed, change by change:\n${describeFrames(frames)}\n` +
        `(screenshots in ${screenshotsDir}; page errors: ${pageErrors.join("; ") || "none"})`;
    };
    try {
      await openNotebook(page, server!, LIVE_NOTEBOOK);
      await waitForKernelIdle(page, 60_000).catch((err: Error) => {
        throw new Error(`${LIVE_NOTEBOOK}: the tsrl kernel was not up and idle within 60 s (${err.message}).\nserver log:\n${server!.log().slice(-3000)}`);
      });
      await watchCellOutput(page, liveCell);
      await page.evaluate(() => (globalThis as { Jupyter?: { notebook: { execute_all_cells(): void } } }).Jupyter!.notebook.execute_all_cells());

      // wait for the cells, with a screenshot mid-run once the chart has drawn something
      const deadline = Date.now() + LIVE_RUN_TIMEOUT_MS;
      let shotWhileRunning = false;
      while (!(await codeCellsFinished(page))) {
        if (Date.now() > deadline) {
          await screenshotNotebook(page, screenshotPath("live-chart-timeout")).catch(() => undefined);
          throw new Error(`${LIVE_NOTEBOOK}: the cells did not finish within ${LIVE_RUN_TIMEOUT_MS / 1000} s.\n${await story()}\nserver log:\n${server!.log().slice(-3000)}`);
        }
        if (!shotWhileRunning && (await showsChartWhileRunning(page, liveCell))) {
          await screenshotNotebook(page, screenshotPath("live-chart-running"));
          shotWhileRunning = true;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // the reply (shell) can overtake the last redraw (iopub); the kernel's idle status comes after it
      await waitForKernelIdle(page, 30_000);
      await waitForImages(page);
      await screenshotNotebook(page, screenshotPath("live-chart-done"));

      const cells = await renderedCells(page);
      const errors = cells.flatMap((c, i) => c.outputs.filter((o) => o.kind === "error").map((o) => `${cellLabel(i, c)}: ${o.text}`));
      expect(errors, `${LIVE_NOTEBOOK}: the scratch cells failed (update LIVE_CHART_CELLS if the library's API changed)`).toEqual([]);

      const frames = await watchedFrames(page);
      const picturesWhileRunning = new Set(frames.filter((f) => f.running && f.image).map((f) => f.image));
      expect(picturesWhileRunning.size, `the live chart showed ${picturesWhileRunning.size} different picture(s) while training ran; needs at least 2.\n${await story()}`).toBeGreaterThanOrEqual(2);
      const why = notAPicture(cells[liveCell].outputs.at(-1));
      expect(why, `after training, the live chart shows ${why}.\n${await story()}`).toBeUndefined();
    } finally {
      await closeNotebook(page);
    }
  }, 300_000);
});
