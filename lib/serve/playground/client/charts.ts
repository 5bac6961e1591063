/**
 * The page's charts: vega-lite v5 specs drawn by vega-embed (served from node_modules, no CDN).
 * A chart is redrawn only when its data changed; its element's data-points says how many points it
 * shows (what a test, or a curious reader, can check).
 */
import type { Row } from "./types.js";

interface EmbedResult {
  finalize(): void;
}
declare const vegaEmbed: (el: HTMLElement, spec: object, opts: object) => Promise<EmbedResult>;

const drawn = new WeakMap<HTMLElement, { key: string; result?: EmbedResult }>();

async function draw(el: HTMLElement, spec: object, key: string, points: number): Promise<void> {
  const previous = drawn.get(el);
  if (previous?.key === key) return;
  drawn.set(el, { key });
  previous?.result?.finalize();
  if (points === 0) {
    el.dataset.points = "0";
    return;
  }
  el.replaceChildren();
  const result = await vegaEmbed(el, spec, { actions: false, renderer: "svg" });
  drawn.set(el, { key, result });
  el.dataset.points = String(points);
}

const OUTCOME_COLORS = { domain: ["win", "draw", "loss"], range: ["#1a7f37", "#8c959f", "#cf222e"] };
const OPPONENTS = ["random", "greedy", "minimax"];

/** Win/draw/loss rates against each opponent at every report card of a Tic-Tac-Toe run. */
export function drawTttCurves(el: HTMLElement, rows: readonly Row[]): Promise<void> {
  const points: { update: number; opponent: string; outcome: string; rate: number }[] = [];
  for (const r of rows) {
    if (r.winRandom === null || r.winRandom === undefined) continue;
    for (const opponent of OPPONENTS) {
      for (const outcome of ["win", "draw", "loss"]) {
        const rate = r[`${outcome}${opponent[0].toUpperCase()}${opponent.slice(1)}`]; // the report card's columns: winRandom, drawGreedy, …
        if (typeof rate === "number") points.push({ update: r.update ?? 0, opponent, outcome, rate });
      }
    }
  }
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    data: { values: points },
    facet: { column: { field: "opponent", type: "nominal", sort: OPPONENTS, title: null, header: { labelFontSize: 13, labelExpr: "'vs ' + datum.label" } } },
    spec: {
      width: 190, height: 170,
      mark: { type: "line", point: points.length <= 90, strokeWidth: 2 },
      encoding: {
        x: { field: "update", type: "quantitative", title: "update" },
        y: { field: "rate", type: "quantitative", scale: { domain: [0, 1] }, axis: { format: "%" }, title: null },
        color: { field: "outcome", type: "nominal", scale: OUTCOME_COLORS, legend: { orient: "top", title: null } },
        tooltip: [{ field: "update" }, { field: "outcome" }, { field: "rate", format: ".0%" }],
      },
    },
  };
  return draw(el, spec, `ttt:${points.length}:${points.at(-1)?.update ?? ""}`, points.length);
}

/** Lines of some columns of a run's rows against `x` (the rows where each column is a number). */
export function drawLines(el: HTMLElement, rows: readonly Row[], x: string, series: { field: string; label: string }[], opts: { title?: string; percent?: boolean; width?: number } = {}): Promise<void> {
  const points: { x: number; series: string; value: number }[] = [];
  for (const r of rows) {
    for (const s of series) {
      const v = r[s.field];
      if (typeof v === "number" && typeof r[x] === "number") points.push({ x: r[x] as number, series: s.label, value: v });
    }
  }
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    width: opts.width ?? 300, height: 150,
    title: opts.title,
    data: { values: points },
    mark: { type: "line", strokeWidth: 2, point: points.length <= 60 },
    encoding: {
      x: { field: "x", type: "quantitative", title: x },
      y: { field: "value", type: "quantitative", title: null, ...(opts.percent ? { axis: { format: "%" }, scale: { domain: [0, 1] } } : {}) },
      color: { field: "series", type: "nominal", title: null, legend: { orient: "bottom", direction: "vertical" } },
      tooltip: [{ field: "x", title: x }, { field: "series" }, { field: "value", format: ".3f" }],
    },
  };
  return draw(el, spec, `${x}:${points.length}:${points.at(-1)?.x ?? ""}`, points.length);
}
