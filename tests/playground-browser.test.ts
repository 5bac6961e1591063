/**
 * The playground as a person uses it, in Debian's Chromium (headless, via puppeteer-core, as
 * tests/browser.test.ts does): the server of `tsrl playground` runs in this process on 127.0.0.1
 * (a free port, a temporary runs folder), and the page is driven by its data-testids.
 *
 *   Tic-Tac-Toe   Stop before Train; train (a double click starts one run) with a reward slider
 *                 moved, and the chart gains points; a second browser tab cannot start another run
 *                 and shows the same one; a reload mid-run keeps it; Stop ends it within a second
 *                 or two; a full game by clicking, as X and as O (clicks while the agent thinks are
 *                 ignored); evaluate; save a checkpoint in the CLI's format and load it back
 *   Edit agent    browse a family; a short training; a custom edit shows its diff; verify
 *   GPT-2         completions with the reward by part; before and after a short GRPO run
 *
 * Screenshots go to $TSRL_SCREENSHOTS when set (kept), else to a temporary folder removed after.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../lib/algos/registry";
import { createServer } from "../lib/serve/app";
import { mountPlayground, type MountedPlayground } from "../lib/serve/playground/index";
import { findChromium, launchChromium, tempDir } from "./browser-harness";

// page functions run in the browser; the project's types are Node's
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const keepScreenshots = Boolean(process.env.TSRL_SCREENSHOTS);
const screenshotsDir = keepScreenshots ? path.resolve(process.env.TSRL_SCREENSHOTS!) : tempDir("tsrl-playground-shots-");
const workDir = tempDir("tsrl-playground-");
const runs = path.join(workDir, "runs");

let browser: Browser;
let url: string;
let close: () => Promise<void>;
let playground: MountedPlayground;

async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1366, height: 768 });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(url, { waitUntil: "networkidle2" });
  await page.waitForFunction(() => document.querySelectorAll("[data-testid^=ttt-cell-]").length === 9);
  return { page, errors };
}

const text = (page: Page, testid: string) => page.$eval(`[data-testid="${testid}"]`, (e) => e.textContent ?? "");
const runText = (page: Page) => page.$eval("#run-text", (e) => e.textContent ?? "");
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshotsDir, `${name}.png`) });

async function setValue(page: Page, testid: string, value: string): Promise<void> {
  await page.$eval(`[data-testid="${testid}"]`, (e, v) => {
    const el = e as any;
    el.value = v;
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }, value);
}

async function apiState(): Promise<{ run: { id: number; kind: string; status: string; settings: Record<string, unknown> } | null }> {
  return (await fetch(`${url}api/state`)).json() as never;
}

/** Waits for the end of a run other than `previous` (the run line before the click that starts it:
 *  the page shows the last run's end until the new run's first poll, so "done" alone may be the old one's). */
async function waitForRunEnd(page: Page, timeout: number, previous?: string): Promise<string> {
  await page.waitForFunction((before) => {
    const text = document.querySelector("#run-text")?.textContent ?? "";
    return text !== before && /· (done|stopped|failed)/.test(text);
  }, { timeout, polling: 200 }, previous ?? null);
  return runText(page);
}

const chartPoints = (page: Page, testid: string) => page.$eval(`[data-testid="${testid}"]`, (e) => Number((e as any).dataset.points ?? 0));

/** Plays one game to its end by clicking the first free cell each turn; returns the final status. */
async function playGame(page: Page, as: "X" | "O"): Promise<string> {
  await page.click(`[data-testid="ttt-new-${as.toLowerCase()}"]`);
  for (let turn = 0; turn < 6; turn++) {
    await page.waitForFunction(() => {
      const s = document.querySelector("[data-testid=ttt-status]")?.textContent ?? "";
      const free = [...document.querySelectorAll("[data-testid^=ttt-cell-]")].some((b) => !b.disabled);
      return /win|draw/i.test(s) || (free && /Your move/.test(s));
    }, { timeout: 20_000, polling: 50 });
    const status = await text(page, "ttt-status");
    if (/win|draw/i.test(status)) return status;
    const cells = await page.$$eval("[data-testid^=ttt-cell-]", (bs) => bs.map((b) => ({ id: b.getAttribute("data-testid")!, free: !(b as any).disabled })));
    const free = cells.filter((c) => c.free);
    // a click on a second cell while the agent thinks must change nothing
    await Promise.all([page.click(`[data-testid="${free[0].id}"]`), free[1] ? page.click(`[data-testid="${free[1].id}"]`).catch(() => undefined) : Promise.resolve()]);
    const marks = await page.$$eval("[data-testid^=ttt-cell-]", (bs) => bs.map((b) => b.textContent));
    const x = marks.filter((m) => m === "X").length, o = marks.filter((m) => m === "O").length;
    expect(x - o, `marks after a move: ${marks.join(",")}`).toBeGreaterThanOrEqual(0);
    expect(x - o).toBeLessThanOrEqual(1);
  }
  throw new Error("the game did not end in 6 moves");
}

describe("tsrl playground in Chromium", () => {
  beforeAll(async () => {
    findChromium();
    fs.mkdirSync(screenshotsDir, { recursive: true });
    const app = await createServer({ host: "127.0.0.1", limits: { ratePerMinute: 0 } });
    playground = mountPlayground(app, { host: "127.0.0.1", runsDir: runs });
    url = `${await app.listen({ host: "127.0.0.1", port: 0 })}/`;
    close = async () => { await app.close(); await playground.close(); };
    browser = await launchChromium(path.join(workDir, "chromium-profile"));
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await close?.();
    fs.rmSync(workDir, { recursive: true, force: true });
    if (keepScreenshots) console.log(`playground-browser.test: screenshots in ${screenshotsDir}`);
    else fs.rmSync(screenshotsDir, { recursive: true, force: true });
  }, 60_000);

  it("opens on the Tic-Tac-Toe tab with every control; Stop before Train says there is nothing to stop", async () => {
    const { page, errors } = await openPage();
    for (const id of ["ttt-status", "ttt-train", "ttt-stop", "ttt-chart", ...["win", "draw", "loss", "centerBonus", "forkBonus", "illegalPenalty"].map((n) => `ttt-slider-${n}`)]) {
      expect(await page.$(`[data-testid="${id}"]`), id).not.toBeNull();
    }
    await shot(page, "playground-new");
    await page.click("[data-testid=ttt-stop]");
    await page.waitForFunction(() => /nothing to stop/.test(document.querySelector("#banner")?.textContent ?? ""), { timeout: 5000 });
    expect(await apiState()).toMatchObject({ run: null });
    // no agent yet: a new game says so instead of hanging
    await page.click("[data-testid=ttt-new-o]");
    await page.waitForFunction(() => /no Tic-Tac-Toe agent yet/.test(document.querySelector("[data-testid=ttt-status]")?.textContent ?? ""), { timeout: 5000 });
    expect(errors.filter((e) => !/409|Conflict/.test(e))).toEqual([]);
    await page.close();
  });

  it("trains with the sliders' rewards: the chart gains points, two tabs share one run, a reload keeps it, Stop ends it", async () => {
    const { page } = await openPage();
    await setValue(page, "ttt-updates", "3000");
    await setValue(page, "ttt-eval-every", "2");
    await setValue(page, "ttt-slider-centerBonus", "0.2");
    await Promise.all([page.click("[data-testid=ttt-train]"), page.click("[data-testid=ttt-train]")]); // a double click
    await page.waitForFunction(() => /Run 1 · Tic-Tac-Toe training · running/.test(document.querySelector("#run-text")?.textContent ?? ""), { timeout: 20_000 });
    const state = await apiState();
    expect(state.run).toMatchObject({ id: 1, kind: "ttt-train", status: "running" });
    expect((state.run!.settings.rewards as Record<string, number>).centerBonus).toBe(0.2);

    await page.waitForFunction(() => Number((document.querySelector("[data-testid=ttt-chart]") as any).dataset.points ?? 0) >= 9, { timeout: 60_000, polling: 200 });
    const first = await chartPoints(page, "ttt-chart");
    await page.waitForFunction((n) => Number((document.querySelector("[data-testid=ttt-chart]") as any).dataset.points ?? 0) > n, { timeout: 60_000, polling: 200 }, first);
    expect(await chartPoints(page, "ttt-chart")).toBeGreaterThan(first);
    expect(await page.$$eval("[data-testid=ttt-chart] svg path", (p) => p.length)).toBeGreaterThan(0);

    // a second tab sees the same run and cannot start another
    const second = await openPage();
    await second.page.waitForFunction(() => /Run 1 · Tic-Tac-Toe training · running/.test(document.querySelector("#run-text")?.textContent ?? ""), { timeout: 10_000 });
    await second.page.click("[data-testid=ttt-train]");
    await second.page.waitForFunction(() => /run 1 \(Tic-Tac-Toe training\) is running/.test(document.querySelector("#banner")?.textContent ?? ""), { timeout: 10_000 });
    expect((await apiState()).run!.id).toBe(1);
    await second.page.close();

    // a reload mid-run picks the run up where it is
    const before = await chartPoints(page, "ttt-chart");
    await page.reload({ waitUntil: "networkidle2" });
    await page.waitForFunction((n) => /Run 1 · Tic-Tac-Toe training · running/.test(document.querySelector("#run-text")?.textContent ?? "")
      && Number((document.querySelector("[data-testid=ttt-chart]") as any).dataset.points ?? 0) >= n, { timeout: 20_000, polling: 100 }, before);
    await shot(page, "playground-ttt-training");

    const t0 = Date.now();
    await page.click("[data-testid=ttt-stop]");
    await page.waitForFunction(() => /· stopped/.test(document.querySelector("#run-text")?.textContent ?? ""), { timeout: 10_000, polling: 50 });
    const stopMs = Date.now() - t0;
    console.log(`playground-browser.test: Stop → "stopped" on the page in ${stopMs} ms`);
    expect(stopMs).toBeLessThan(2000);
    const stopped = await apiState();
    expect(stopped.run).toMatchObject({ id: 1, status: "stopped" });
    await page.close();
  }, 240_000);

  it("plays full games by clicking, as X and as O, with the agent's probabilities as a heat map", async () => {
    const { page, errors } = await openPage();
    const asX = await playGame(page, "X");
    expect(asX).toMatch(/You win|The agent wins|A draw/);
    const heat = await page.$$eval("[data-testid=ttt-heat] div", (ds) => ds.map((d) => d.textContent ?? ""));
    expect(heat.some((t) => /%$/.test(t)), `heat map: ${heat.join(" | ")}`).toBe(true);
    await shot(page, "playground-ttt-game");
    const asO = await playGame(page, "O");
    expect(asO).toMatch(/You win|The agent wins|A draw/);

    // a new game while the agent answers a move of the old one: the late answer is dropped
    await page.click("[data-testid=ttt-new-x]");
    await page.click("[data-testid=ttt-cell-0]");
    await page.click("[data-testid=ttt-new-o]");
    await page.waitForFunction(() => /Your move — you are O/.test(document.querySelector("[data-testid=ttt-status]")?.textContent ?? ""), { timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 1000)); // time for the old game's answer to arrive
    const marks = await page.$$eval("[data-testid^=ttt-cell-]", (bs) => bs.map((b) => b.textContent));
    expect(marks.filter((m) => m === "X"), marks.join(",")).toHaveLength(1);
    expect(marks.filter((m) => m === "O"), marks.join(",")).toHaveLength(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("evaluates (tables and the exhaustive check), saves a checkpoint in the CLI's format and loads it back", async () => {
    const { page } = await openPage();
    await setValue(page, "ttt-games", "20");
    await page.click("[data-testid=ttt-evaluate]");
    await page.waitForSelector("[data-testid=ttt-verdict]", { timeout: 60_000 });
    expect(await page.$$eval("[data-testid=ttt-eval-table] tbody tr", (r) => r.length)).toBe(6);
    expect(await page.$$eval("[data-testid=ttt-exhaustive-table] tbody tr", (r) => r.length)).toBe(2);
    expect(await text(page, "ttt-verdict")).toMatch(/Never loses|Can lose/);

    await page.type("[data-testid=ttt-save-name]", "pg-ttt");
    await page.click("[data-testid=ttt-save]");
    await page.waitForFunction(() => /Saved/.test(document.querySelector("[data-testid=ttt-checkpoint-note]")?.textContent ?? ""), { timeout: 10_000 });
    const policy = loadPolicy(path.join(runs, "pg-ttt")); // what tsrl eval and tsrl serve read
    expect(policy).toMatchObject({ algorithm: "grpo", envId: "TicTacToe-v0" });
    expect(policy.metrics!.length).toBeGreaterThan(0);
    await page.click("[data-testid=ttt-save]"); // the same name again, without "overwrite"
    await page.waitForFunction(() => /already holds a checkpoint/.test(document.querySelector("[data-testid=ttt-checkpoint-note]")?.textContent ?? ""), { timeout: 10_000 });

    await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=ttt-checkpoints] option")].some((o) => (o as any).value === "pg-ttt"), { timeout: 10_000 });
    await page.select("[data-testid=ttt-checkpoints]", "pg-ttt");
    await page.click("[data-testid=ttt-load]");
    await page.waitForFunction(() => /Loaded .*pg-ttt/.test(document.querySelector("[data-testid=ttt-checkpoint-note]")?.textContent ?? ""), { timeout: 30_000 });
    await page.waitForFunction(() => /Agent: .*pg-ttt/.test(document.querySelector("[data-testid=ttt-agent]")?.textContent ?? ""), { timeout: 10_000 });
    await shot(page, "playground-ttt-evaluate");
    await page.close();
  }, 120_000);

  it("edit agent: browses a family, trains briefly, runs a custom edit with its diff, verifies", async () => {
    const { page, errors } = await openPage();
    await page.click("[data-testid=tab-edit]");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=edit-family] option").length > 1, { timeout: 20_000 });
    await page.select("[data-testid=edit-family]", "upper");
    await page.waitForFunction(() => {
      const tags = [...document.querySelectorAll("[data-testid=edit-tasks] .tag")].map((t) => t.textContent);
      return tags.length > 0 && tags.every((t) => t === "upper");
    }, { timeout: 10_000 });

    await setValue(page, "edit-warm", "120");
    await setValue(page, "edit-updates", "1");
    await setValue(page, "edit-eval-every", "1");
    const before = await runText(page);
    await page.click("[data-testid=edit-train]");
    expect(await waitForRunEnd(page, 240_000, before)).toMatch(/edit-agent training · done/);

    await setValue(page, "edit-instruction", "End the sentence with a period.");
    await setValue(page, "edit-text", "Their dog ran home");
    const t0 = Date.now();
    await page.click("[data-testid=edit-run]");
    await page.waitForSelector("[data-testid=edit-result] pre.diff", { timeout: 20_000 });
    console.log(`playground-browser.test: a custom edit answered on the page in ${Date.now() - t0} ms`);
    const result = await text(page, "edit-result");
    expect(result).toMatch(/understood/);
    expect(result).toContain("Their dog ran home");
    // the agent's own verdict: why it declined (and that the text is unchanged), or how many edits it made
    const verdict = await text(page, "edit-message");
    if (/not understood/.test(result)) expect(verdict).toMatch(/the text is unchanged\. Agent: /);
    else expect(verdict).toMatch(/^\d+ edits?, then stop\. Agent: /);
    await shot(page, "playground-edit-custom");

    await page.select("[data-testid=edit-split]", "validation");
    await page.click("[data-testid=edit-verify]");
    await page.waitForSelector("[data-testid=edit-scores]", { timeout: 240_000 });
    const families = await page.$$eval("[data-testid=edit-scores] tbody tr", (rows) => rows.map((r) => r.firstElementChild?.textContent));
    expect(families).toContain("all");
    expect(families.length).toBeGreaterThan(5);
    expect(await page.$$eval("[data-testid=edit-verification] pre.diff", (d) => d.length)).toBeGreaterThan(0);
    await shot(page, "playground-edit-verify");
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  it("GPT-2: completions with the reward by part, and the same prompt before and after a GRPO run", async () => {
    const { page, errors } = await openPage();
    await page.click("[data-testid=tab-lm]");
    await setValue(page, "lm-n", "2");
    await setValue(page, "lm-max-tokens", "8");
    await page.click("[data-testid=lm-run]");
    await page.waitForSelector("[data-testid=lm-result] table", { timeout: 60_000 });
    const head = await page.$$eval("[data-testid=lm-result] th", (th) => th.map((t) => t.textContent));
    expect(head).toEqual(["completion", "sentiment ×1", "length ×0.2", "reward"]);
    expect(await page.$$eval("[data-testid=lm-result] tbody tr", (r) => r.length)).toBe(2);

    await setValue(page, "lm-steps", "2");
    await page.click("[data-testid=lm-train]");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=lm-compare] table").length === 2, { timeout: 300_000, polling: 250 });
    expect(await text(page, "lm-compare")).toMatch(/after 2 GRPO steps/);
    await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=lm-model] option")].some((o) => /after GRPO run/.test(o.textContent ?? "")), { timeout: 10_000 });
    await shot(page, "playground-lm");
    expect(errors).toEqual([]);
    await page.close();
  }, 420_000);
});
