/**
 * The one server-side run every tab shows: polling its state (GET /api/state: the run, its new rows)
 * for all tabs, handing each finished run to them once, and starting and stopping runs.
 */
import { get, post } from "./api.js";
import { isActive, type FullRun, type Row, type RunView, type StateView } from "./types.js";
import { $, showBanner } from "./ui.js";

/** What a tab does with the shared run state. */
export interface TabHooks {
  /** Every poll: the latest run (any tab's) and all its rows so far. */
  onState(state: StateView, rows: readonly Row[]): void;
  /** A run that ended (or had ended when the page loaded), whole. */
  onResult(run: FullRun): void;
}

const KIND_TEXT: Record<string, string> = {
  "ttt-train": "Tic-Tac-Toe training", "ttt-evaluate": "Tic-Tac-Toe evaluation", load: "loading a checkpoint",
  "edit-train": "edit-agent training", "edit-verify": "edit-agent verification", "lm-sample": "GPT-2 sampling", "lm-train": "GPT-2 GRPO run",
};

const tabs: TabHooks[] = [];

/** The tabs that hear every poll and every finished run. */
export function addTabs(...hooks: TabHooks[]): void {
  tabs.push(...hooks);
}
let runId: number | null = null;
let rows: Row[] = [];
const handled = new Set<number>();
let timer: number | undefined;

function showRun(run: RunView | null): void {
  const text = $("run-text"), bar = $("run-progress") as HTMLProgressElement, stop = $("run-stop");
  if (!run) {
    text.textContent = "No run yet.";
    bar.hidden = stop.hidden = true;
    return;
  }
  const p = run.progress;
  const amount = p && p.total > 0 ? ` · ${p.done} / ${p.total} ${p.unit}` : "";
  text.textContent = `Run ${run.id} · ${KIND_TEXT[run.kind] ?? run.kind} · ${run.status}${amount}${run.error ? ` · ${run.error}` : ""}`;
  text.className = run.status;
  bar.hidden = !isActive(run);
  bar.max = p && p.total > 0 ? p.total : 1;
  bar.value = p ? Math.min(p.done, bar.max) : 0;
  stop.hidden = run.status !== "running";
}

/** Hands a finished run to every tab, once. */
export async function fetchResult(id: number): Promise<void> {
  if (handled.has(id)) return;
  handled.add(id);
  const run = await get<FullRun>(`/api/runs/${id}`);
  for (const t of tabs) t.onResult(run);
}

/** One poll of the run state; the next comes sooner while a run is going. */
export async function poll(): Promise<void> {
  window.clearTimeout(timer);
  let active = false;
  try {
    const s = await get<StateView>(`/api/state?run=${runId ?? ""}&since=${rows.length}`);
    if ((s.run?.id ?? null) !== runId) {
      runId = s.run?.id ?? null;
      rows = [...s.rows];
    } else rows.push(...s.rows);
    active = isActive(s.run);
    showRun(s.run);
    for (const t of tabs) t.onState(s, rows);
    if (s.run && !active && !handled.has(s.run.id)) await fetchResult(s.run.id);
  } catch (err) {
    showRun(null);
    $("run-text").textContent = (err as Error).message;
  }
  timer = window.setTimeout(() => void poll(), active ? 400 : 1500);
}

/** Starts a job: POST `url`, then poll at once. Errors (409: another run is going) go to the banner. */
export async function startRun(url: string, body: unknown): Promise<RunView | undefined> {
  try {
    const run = await post<RunView>(url, body);
    await poll();
    return run;
  } catch (err) {
    showBanner((err as Error).message);
    return undefined;
  }
}

/** Stops the run going, if there is one of `kinds` (any kind when omitted); says so when there is none. */
export async function stopRun(kinds?: readonly string[]): Promise<boolean> {
  const s = await get<StateView>("/api/state");
  if (!s.run || s.run.status !== "running" || (kinds && !kinds.includes(s.run.kind))) {
    showBanner(s.run?.status === "stopping" ? `run ${s.run.id} is already stopping` : "nothing to stop: no run of this tab is going", "info");
    return false;
  }
  await post(`/api/runs/${s.run.id}/stop`);
  await poll();
  return true;
}
