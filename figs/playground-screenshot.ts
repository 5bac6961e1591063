/**
 * figs/playground.png: the playground's Tic-Tac-Toe tab as a new user sees it after a short run, on
 * a 1366×768 laptop screen. Run: npx tsrl run figs/playground-screenshot.ts (needs Debian's chromium).
 *
 * It serves the playground in this process (127.0.0.1, a free port, a temporary runs folder) and
 * drives the page as a person would: Train with the page's defaults (GRPO, the default rewards, up
 * to 5,000 updates, a report card every 20; it stops once the agent never loses), Evaluate (100
 * games a cell), then a game as X, two moves in.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";
import { createServer } from "../lib/serve/app";
import { mountPlayground } from "../lib/serve/playground/index";

declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const OUT = path.join(__dirname, "playground.png");

async function main(): Promise<void> {
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-playground-fig-"));
  const app = await createServer({ host: "127.0.0.1", limits: { ratePerMinute: 0 } });
  const playground = mountPlayground(app, { host: "127.0.0.1", runsDir: runs });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const browser = await puppeteer.launch({ executablePath: process.env.CHROME_PATH ?? "/usr/bin/chromium", headless: true, protocolTimeout: 1_500_000, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1366, height: 768 });
    await page.goto(`${url}/`, { waitUntil: "networkidle2" });
    const set = (testid: string, value: string) => page.$eval(`[data-testid="${testid}"]`, (e: any, v: string) => { e.value = v; e.dispatchEvent(new Event("input", { bubbles: true })); }, value);
    await page.click("[data-testid=ttt-train]");
    await page.waitForFunction(() => /Tic-Tac-Toe training · (done|stopped)/.test(document.querySelector("#run-text")?.textContent ?? ""), { timeout: 1_200_000, polling: 1000 });
    await set("ttt-games", "100");
    await page.click("[data-testid=ttt-evaluate]");
    await page.waitForSelector("[data-testid=ttt-verdict]", { timeout: 120_000 });
    await page.click("[data-testid=ttt-new-x]");
    for (let move = 0; move < 2; move++) {
      await page.waitForFunction(() => /Your move/.test(document.querySelector("[data-testid=ttt-status]")?.textContent ?? ""), { timeout: 20_000 });
      const cell = await page.$$eval("[data-testid^=ttt-cell-]", (bs: any[]) => [0, 8, 2, 6, 1, 3, 5, 7].find((c) => !bs[c].disabled));
      await page.click(`[data-testid=ttt-cell-${cell}]`);
      await page.waitForFunction(() => /Your move|win|draw/.test(document.querySelector("[data-testid=ttt-status]")?.textContent ?? ""), { timeout: 20_000 });
    }
    await new Promise((r) => setTimeout(r, 500));
    await page.screenshot({ path: OUT });
    console.error(`wrote ${OUT}`);
  } finally {
    await browser.close();
    await app.close();
    await playground.close();
    fs.rmSync(runs, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
