/** Small DOM helpers shared by the page's tabs. */
import type { DiffSegment } from "./types.js";

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no element #${id}`);
  return el;
}

export const input = (id: string) => $(id) as HTMLInputElement;

/** An element with text and attributes: h("td", { class: "num" }, "0.5"). */
export function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

export function numberOf(id: string): number {
  return Number(input(id).value);
}

let bannerTimer: number | undefined;

/** A message at the top of the page for a few seconds: errors from the server, in its words. */
export function showBanner(message: string, kind: "error" | "info" = "error"): void {
  const b = $("banner");
  b.textContent = message;
  b.className = kind;
  b.setAttribute("role", kind === "error" ? "alert" : "status");
  b.hidden = false;
  window.clearTimeout(bannerTimer);
  bannerTimer = window.setTimeout(() => (b.hidden = true), 9000);
}

/** A diff as the notebooks show it: [-deleted-] struck through in red, {+inserted+} underlined in green. */
export function diffView(segments: readonly DiffSegment[]): HTMLElement {
  const pre = h("pre", { class: "diff" });
  for (const s of segments) {
    if (s.kind === "same") pre.append(s.text);
    else {
      const text = s.text.replace(/ /g, "␣");
      pre.append(s.kind === "insert" ? h("ins", {}, `{+${text}+}`) : h("del", {}, `[-${text}-]`));
    }
  }
  return pre;
}

/** A table from rows of cells; the first row is the header. */
export function table(rows: (string | number | Node)[][], attrs: Record<string, string> = {}): HTMLElement {
  const [head, ...body] = rows;
  const t = h("table", attrs);
  t.append(h("thead", {}, h("tr", {}, ...head.map((c) => h("th", {}, c instanceof Node ? c : String(c))))));
  const tb = h("tbody");
  for (const r of body) tb.append(h("tr", {}, ...r.map((c) => h("td", typeof c === "number" ? { class: "num" } : {}, c instanceof Node ? c : String(c)))));
  t.append(tb);
  return t;
}

export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Sets inputs by id from a run's settings (a reloaded page shows what the run it picks up was started with). */
export function fillInputs(values: Record<string, unknown>): void {
  for (const [id, v] of Object.entries(values)) {
    const el = document.getElementById(id) as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | null;
    if (!el || v === undefined || v === null) continue;
    el.value = String(v);
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }
}
