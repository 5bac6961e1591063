/**
 * The playground page: three tabs over one server-side run (./runs.ts). Every browser tab polls the
 * same run state, so all of them show the run going, and a reload picks it up where it is; when a
 * run ends, its result is fetched once and handed to its tab. The last run of each kind is fetched
 * on load, so results (an evaluation, a verification, completions) survive a reload too.
 */
import { get } from "./api.js";
import { initEdit } from "./edit.js";
import { initLm } from "./lm.js";
import { addTabs, fetchResult, poll, stopRun } from "./runs.js";
import { initTtt } from "./ttt.js";
import { isActive, type StateView } from "./types.js";
import { $, showBanner } from "./ui.js";

function selectTab(name: string): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("nav button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const s of document.querySelectorAll<HTMLElement>("section.tab")) s.hidden = s.id !== `tab-${name}`;
  sessionStorage.setItem("tsrl-playground-tab", name);
}

async function start(): Promise<void> {
  for (const b of document.querySelectorAll<HTMLButtonElement>("nav button")) b.addEventListener("click", () => selectTab(b.dataset.tab!));
  selectTab(sessionStorage.getItem("tsrl-playground-tab") ?? "ttt");
  $("run-stop").addEventListener("click", () => void stopRun());
  addTabs(initTtt(), initEdit(), initLm());
  try {
    const s = await get<StateView>("/api/state");
    const ids = Object.values(s.lastRuns).map((r) => r.id).sort((a, b) => a - b);
    for (const id of ids) if (id !== s.run?.id || !isActive(s.run)) await fetchResult(id);
  } catch (err) {
    showBanner((err as Error).message);
  }
  await poll();
}

void start();
