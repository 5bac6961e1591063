/**
 * The GPT-2 tab: a prompt, sampling knobs and a checkpoint → completions, each with its reward
 * broken down by part; and a GRPO run whose before and after completions of the same prompt (same
 * seed) stand side by side.
 */
import { get } from "./api.js";
import { drawLines } from "./charts.js";
import { startRun, stopRun, type TabHooks } from "./runs.js";
import type { FullRun, Row } from "./types.js";
import { $, fillInputs, h, input, numberOf, showBanner, table } from "./ui.js";

interface Sample {
  model: string;
  prompt: string;
  columns: { name: string; weight: number }[];
  completions: { text: string; total: number; parts: number[] }[];
}

export function initLm(): TabHooks {
  const model = $("lm-model") as HTMLSelectElement;
  let wantedModel = ""; // a reloaded page picks the model its last run used, once the list is in
  const refreshModels = async () => {
    try {
      const r = await get<{ models: { key: string; label: string }[] }>("/api/lm/models");
      const chosen = wantedModel || model.value;
      wantedModel = "";
      model.replaceChildren(...r.models.map((m) => h("option", { value: m.key }, m.label)));
      if (r.models.some((m) => m.key === chosen)) model.value = chosen;
    } catch (err) {
      showBanner((err as Error).message);
    }
  };
  void refreshModels();
  const sampling = () => ({
    model: model.value, prompt: ($("lm-prompt") as HTMLTextAreaElement).value, reward: input("lm-reward").value,
    temperature: numberOf("lm-temperature"), topP: numberOf("lm-top-p"), maxTokens: numberOf("lm-max-tokens"), n: numberOf("lm-n"), seed: numberOf("lm-seed"),
  });
  $("lm-run").addEventListener("click", () => {
    $("lm-result").replaceChildren(h("p", { class: "hint" }, "Sampling…"));
    void startRun("/api/lm/sample", sampling());
  });
  $("lm-train").addEventListener("click", () => void startRun("/api/lm/train", { ...sampling(), steps: numberOf("lm-steps"), lr: numberOf("lm-lr"), beta: numberOf("lm-beta") }));
  $("lm-stop").addEventListener("click", () => void stopRun(["lm-train", "lm-sample"]));

  let restored = false; // the first state may fill the controls from the run found on load
  const restore = (st: Record<string, unknown>) => {
    if (!restored) {
      fillInputs({ "lm-prompt": st.prompt, "lm-temperature": st.temperature, "lm-top-p": st.topP, "lm-max-tokens": st.maxTokens, "lm-n": st.n, "lm-seed": st.seed, "lm-reward": st.reward, "lm-steps": st.steps, "lm-lr": st.lr, "lm-beta": st.beta });
      wantedModel = String(st.model ?? "");
    }
    restored = true;
  };
  let chartRun = 0;
  const progress = $("lm-progress") as HTMLProgressElement;
  const draw = (rows: readonly Row[]) => drawLines($("lm-chart"), rows, "step", [{ field: "reward", label: "mean reward" }, { field: "kl", label: "KL to the start (β > 0)" }], { width: 420 });
  return {
    onState(state, rows) {
      const r = state.run;
      if (r?.kind === "lm-train" && r.id >= chartRun) {
        chartRun = r.id;
        void draw(rows);
      }
      if (r?.tab === "lm") restore(r.settings);
      restored = true;
      if (r?.tab === "lm" && r.progress) {
        progress.max = Math.max(1, r.progress.total);
        progress.value = Math.min(r.progress.done, progress.max);
      }
    },
    onResult(r) {
      if (r.tab !== "lm") return;
      restore(r.settings);
      if (r.status !== "done") {
        $(r.kind === "lm-train" ? "lm-compare" : "lm-result").replaceChildren(h("p", { class: "error" }, `${r.kind === "lm-train" ? "GRPO run" : "Sampling"} ${r.status}${r.error ? `: ${r.error}` : ""}.`));
        return;
      }
      if (r.kind === "lm-sample") $("lm-result").replaceChildren(sampleTable(r.result as Sample));
      if (r.kind === "lm-train") {
        if (r.id >= chartRun) void draw(r.rows);
        const t = r.result as { before: Sample; after: Sample; steps: number; stopped: string };
        $("lm-compare").replaceChildren(
          h("div", { class: "side" }, h("h3", {}, "before"), sampleTable(t.before)),
          h("div", { class: "side" }, h("h3", {}, `after ${t.steps} GRPO steps${t.stopped === "aborted" ? " (stopped)" : ""}`), sampleTable(t.after)),
        );
        void refreshModels();
      }
    },
  };
}

function sampleTable(s: Sample): HTMLElement {
  const mean = s.completions.reduce((a, c) => a + c.total, 0) / Math.max(1, s.completions.length);
  return h("div", {},
    table([
      ["completion", ...s.columns.map((c) => `${c.name} ×${c.weight}`), "reward"],
      ...s.completions.map((c) => [h("span", {}, h("span", { class: "prompt" }, s.prompt), c.text), ...c.parts.map((p) => Number(p.toFixed(3))), Number(c.total.toFixed(3))]),
    ], { class: "completions" }),
    h("p", { class: "hint" }, `mean reward ${mean.toFixed(3)} · ${s.model}`),
  );
}
