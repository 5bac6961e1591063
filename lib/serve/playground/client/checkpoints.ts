/**
 * A tab's checkpoints box: save the tab's agent under a name in the runs folder (the CLI's format:
 * `tsrl eval` and `tsrl serve` read it), or load one of the checkpoints listed there.
 */
import { get, post } from "./api.js";
import { startRun } from "./runs.js";
import type { FullRun, StateView } from "./types.js";
import { h } from "./ui.js";

interface Listing {
  runsDir: string;
  checkpoints: { name: string; algorithm?: string; modified: number }[];
}

export function initCheckpoints(tab: "ttt" | "edit"): { onState(s: StateView): void; onResult(run: FullRun): void } {
  const box = document.querySelector<HTMLElement>(`.checkpoint[data-tab="${tab}"]`)!;
  const name = h("input", { type: "text", "data-testid": `${tab}-save-name`, placeholder: "name, e.g. my-agent", maxlength: "80" }) as HTMLInputElement;
  const overwrite = h("input", { type: "checkbox", "data-testid": `${tab}-overwrite` }) as HTMLInputElement;
  const save = h("button", { "data-testid": `${tab}-save` }, "Save") as HTMLButtonElement;
  const list = h("select", { "data-testid": `${tab}-checkpoints` }) as HTMLSelectElement;
  const load = h("button", { "data-testid": `${tab}-load` }, "Load") as HTMLButtonElement;
  const note = h("div", { class: "hint", "data-testid": `${tab}-checkpoint-note` });
  box.append(h("div", { class: "buttons" }, name, h("label", {}, overwrite, " overwrite"), save), h("div", { class: "buttons" }, list, load), note);

  let lastAgent = "";
  const refresh = async () => {
    try {
      const l = await get<Listing>(`/api/checkpoints?tab=${tab}`);
      const chosen = list.value;
      list.replaceChildren(...(l.checkpoints.length ? l.checkpoints.map((c) => h("option", { value: c.name }, `${c.name}${c.algorithm ? ` (${c.algorithm})` : ""}`)) : [h("option", { value: "" }, "no checkpoints yet")]));
      if (l.checkpoints.some((c) => c.name === chosen)) list.value = chosen;
      box.title = `checkpoints in ${l.runsDir}`;
    } catch (err) {
      note.textContent = (err as Error).message;
    }
  };
  save.addEventListener("click", async () => {
    save.disabled = true;
    try {
      const r = await post<{ dir: string; source: string }>("/api/checkpoints/save", { tab, name: name.value.trim(), overwrite: overwrite.checked });
      note.textContent = `Saved ${r.source} to ${r.dir}`;
      overwrite.checked = false;
      await refresh();
    } catch (err) {
      note.textContent = (err as Error).message;
    } finally {
      save.disabled = false;
    }
  });
  load.addEventListener("click", async () => {
    if (!list.value) {
      note.textContent = "No checkpoint to load: save one, or train with the CLI (tsrl train … --out runs/NAME).";
      return;
    }
    const run = await startRun("/api/checkpoints/load", { tab, name: list.value });
    if (run) note.textContent = `Loading ${list.value}…`;
  });
  void refresh();
  return {
    onState(s) {
      const agent = s.agents[tab]?.source ?? "";
      if (agent !== lastAgent) {
        lastAgent = agent;
        void refresh();
      }
    },
    onResult(run) {
      if (run.kind !== "load") return;
      note.textContent = run.status === "done" ? `Loaded ${(run.result as { dir: string }).dir}` : `Loading failed: ${run.error ?? run.status}`;
    },
  };
}
