/**
 * The edit-agent tab: browse datasets/edit by split and family; train (warm start + GRPO) with live
 * curves; verify on held-out tasks (per-family scores, every episode's coloured diff); and a
 * custom task box (instruction + text → the agent's steps, the diff, and "not understood" when the
 * agent says so).
 */
import { get, post } from "./api.js";
import { drawLines } from "./charts.js";
import { initCheckpoints } from "./checkpoints.js";
import { startRun, stopRun, type TabHooks } from "./runs.js";
import type { DiffSegment, FullRun, Row } from "./types.js";
import { $, diffView, fillInputs, h, input, numberOf, pct, showBanner, table } from "./ui.js";

interface Task {
  id: string;
  family: string;
  instruction: string;
  source: string;
  target: string;
  /** Source → target (the server's character diff). */
  diff: DiffSegment[];
}

interface Episode extends Omit<Task, "diff"> {
  output: string;
  steps: number;
  minimal: number;
  exact: boolean;
  /** Source → output, and output → target. */
  diff: DiffSegment[];
  errors: DiffSegment[];
}

interface Scores {
  count: number;
  exactMatch: number;
  meanNormalizedEditDistance: number;
  meanSteps: number;
  meanMinimalSteps: number;
}

const PAGE = 12;

export function initEdit(): TabHooks {
  // --- browse ---
  let offset = 0, total = 0;
  const browseSplit = $("edit-browse-split") as HTMLSelectElement, family = $("edit-family") as HTMLSelectElement;
  const browse = async () => {
    try {
      const r = await get<{ total: number; tasks: Task[]; families: { name: string; help: string }[] }>(`/api/edit/tasks?split=${browseSplit.value}&family=${family.value}&offset=${offset}&limit=${PAGE}`);
      if (family.options.length === 1) for (const f of r.families) family.append(h("option", { value: f.name, title: f.help }, f.name));
      $("edit-family-help").textContent = r.families.find((f) => f.name === family.value)?.help ?? "Nine families of edits; pick one to see only its tasks.";
      total = r.total;
      $("edit-tasks").replaceChildren(...r.tasks.map((t) => h("div", { class: "task" },
        h("div", {}, h("span", { class: "tag" }, t.family), " ", t.instruction),
        diffView(t.diff))));
      $("edit-page").textContent = total ? `${offset + 1}–${Math.min(offset + PAGE, total)} of ${total}` : "no tasks";
    } catch (err) {
      showBanner((err as Error).message);
    }
  };
  browseSplit.addEventListener("change", () => { offset = 0; void browse(); });
  family.addEventListener("change", () => { offset = 0; void browse(); });
  $("edit-prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); void browse(); });
  $("edit-next").addEventListener("click", () => { if (offset + PAGE < total) { offset += PAGE; void browse(); } });
  void browse();

  // --- train, verify ---
  $("edit-train").addEventListener("click", async () => {
    const b = $("edit-train") as HTMLButtonElement;
    b.disabled = true;
    try {
      await startRun("/api/edit/train", { warmStartSteps: numberOf("edit-warm"), updates: numberOf("edit-updates"), lr: numberOf("edit-lr"), evalEvery: numberOf("edit-eval-every"), seed: numberOf("edit-seed") });
    } finally {
      b.disabled = false;
    }
  });
  $("edit-stop").addEventListener("click", () => void stopRun(["edit-train", "edit-verify"]));
  $("edit-verify").addEventListener("click", () => void startRun("/api/edit/verify", { split: ($("edit-split") as HTMLSelectElement).value }));
  let verification: FullRun | undefined;
  ($("edit-failures") as HTMLInputElement).addEventListener("change", () => verification && showVerification(verification));

  // --- custom task ---
  const run = $("edit-run") as HTMLButtonElement;
  const custom = async () => {
    if (run.disabled) return;
    run.disabled = true;
    const out = $("edit-result");
    out.replaceChildren(h("p", { class: "hint" }, "Editing…"));
    try {
      const r = await post<{ text: string; steps: string[]; stopped: boolean; understood: boolean; message?: string; diff: DiffSegment[]; source: string }>("/api/edit/custom", { instruction: input("edit-instruction").value, text: input("edit-text").value });
      const badge = r.understood ? h("span", { class: "tag good" }, "understood") : h("span", { class: "tag bad", "data-testid": "edit-not-understood" }, "not understood");
      out.replaceChildren(
        h("div", {}, badge, " ", h("b", {}, r.text)),
        diffView(r.diff),
        h("ol", { class: "steps" }, ...r.steps.map((s) => h("li", {}, s))),
        // the agent's own verdict (why it declined, when it did: its steps above were undone), else how it ended
        h("p", { class: "hint", "data-testid": "edit-message" }, `${r.message ?? (r.stopped ? "The agent chose STOP" : "No STOP within 20 steps")} Agent: ${r.source}.`),
      );
    } catch (err) {
      out.replaceChildren(h("p", { class: "error" }, (err as Error).message));
    } finally {
      run.disabled = false;
    }
  };
  run.addEventListener("click", () => void custom());
  for (const id of ["edit-instruction", "edit-text"]) input(id).addEventListener("keydown", (e) => { if (e.key === "Enter") void custom(); });

  const checkpoints = initCheckpoints("edit");
  let restored = false; // the first state may fill the controls from the training run found on load
  const restore = (st: Record<string, unknown>) => {
    if (!restored) fillInputs({ "edit-warm": st.warmStartSteps, "edit-updates": st.updates, "edit-lr": st.lr, "edit-eval-every": st.evalEvery, "edit-seed": st.seed });
    restored = true;
  };
  let chartRun = 0;
  const progress = $("edit-progress") as HTMLProgressElement;
  const draw = (rows: readonly Row[]) => drawLines($("edit-chart"), rows, "update", [
    { field: "warmStartAccuracy", label: "warm start: expert's action" },
    { field: "exactMatch", label: "training tasks solved" },
    { field: "evalExactMatch", label: "validation exact match" },
  ], { percent: true, width: 220 });
  return {
    onState(state, rows) {
      const r = state.run;
      if (r && r.tab === "edit" && (r.kind === "edit-train" || r.kind === "load") && r.id >= chartRun) {
        chartRun = r.id;
        void draw(rows);
      }
      if (r?.kind === "edit-train") restore(r.settings);
      restored = true;
      if (r && r.tab === "edit" && r.progress && (r.status === "running" || r.status === "stopping")) {
        progress.max = Math.max(1, r.progress.total);
        progress.value = Math.min(r.progress.done, progress.max);
        $("edit-progress-text").textContent = `${r.kind}: ${r.progress.done} / ${r.progress.total} ${r.progress.unit} · ${r.status}`;
      }
      checkpoints.onState(state);
    },
    onResult(r) {
      if (r.tab !== "edit") return;
      if ((r.kind === "edit-train" || r.kind === "load") && r.id >= chartRun) {
        chartRun = r.id;
        void draw(r.rows);
      }
      if (r.kind === "edit-train") restore(r.settings);
      $("edit-progress-text").textContent = `${r.kind === "edit-train" ? "Training" : r.kind === "edit-verify" ? "Verification" : "Loading"} ${r.status}${r.error ? `: ${r.error}` : ""}.`;
      if (r.status === "done") progress.value = progress.max;
      if (r.kind === "edit-verify") {
        verification = r;
        showVerification(r);
      }
      if (r.status === "failed") showBanner(`Run ${r.id} failed: ${r.error}`);
      checkpoints.onResult(r);
    },
  };
}

function showVerification(run: FullRun): void {
  const out = $("edit-verification");
  if (run.status !== "done") {
    out.replaceChildren(h("p", { class: "hint" }, `Verification ${run.status}${run.error ? `: ${run.error}` : ""}.`));
    return;
  }
  const v = run.result as Scores & { split: string; perFamily: Record<string, Scores>; episodes: Episode[]; source: string };
  const row = (name: string, s: Scores) => [name, s.count, pct(s.exactMatch), s.meanNormalizedEditDistance.toFixed(3), s.meanSteps.toFixed(2), s.meanMinimalSteps.toFixed(2)];
  const scores = table([["family", "tasks", "exact", "norm. distance", "steps", "minimal"], ...Object.entries(v.perFamily).map(([f, s]) => row(f, s)), row("all", v)], { "data-testid": "edit-scores" });
  const failuresFirst = ($("edit-failures") as HTMLInputElement).checked;
  const episodes = [...v.episodes].sort((a, b) => (failuresFirst ? Number(a.exact) - Number(b.exact) : 0)).slice(0, 60);
  const list = h("div", { class: "episodes" }, ...episodes.map((e) => h("div", { class: `task ${e.exact ? "ok" : "wrong"}` },
    h("div", {}, h("span", { class: e.exact ? "tag good" : "tag bad" }, e.exact ? "✓" : "✗"), " ", h("span", { class: "tag" }, e.family), " ", e.instruction),
    diffView(e.diff),
    ...(e.exact ? [] : [h("div", { class: "hint" }, "still wrong (output → target):"), diffView(e.errors)]),
  )));
  out.replaceChildren(h("p", { class: "hint" }, `${v.source} on ${v.split} (${v.count} tasks). Diffs: source → the agent's output; the first 60${failuresFirst ? ", failures first" : ""}.`), scores, list);
}
