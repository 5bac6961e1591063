/**
 * The shared vocabulary of the chart builders: the spec type, the input data shapes, the house
 * theme, and the small helpers every builder needs (normalising data, escaping field names).
 *
 * Charts are vega-lite **v5** specs on purpose: JupyterLab's built-in renderer understands
 * `application/vnd.vegalite.v5+json`, not v6.
 */

export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/**
 * A vega-lite spec as plain JSON. Kept loose on purpose: hand-written specs from a notebook should
 * pass without fighting vega-lite's (very large) TypeScript types; `compileSpec` validates them.
 */
export type VegaLiteSpec = { [key: string]: unknown };

/** One record, e.g. `{ episode: 12, return: 37.5 }`. Missing keys are allowed. */
export type Row = Record<string, unknown>;

/** Column arrays of equal length, e.g. `{ episode: [1, 2, 3], return: Float32Array.of(…) }`. */
export type Columns = Record<string, ArrayLike<unknown>>;

/**
 * What every builder accepts: an array of records or an object of column arrays. Records are typed
 * `object` so arrays of interface-typed rows (e.g. an algorithm's `EpisodeStats[]`) pass as they are.
 */
export type TableData = readonly object[] | Columns;

/** Options every chart builder understands. */
export interface ChartOptions {
  title?: string;
  /** Plot-area width in pixels (default 560). */
  width?: number;
  /** Plot-area height in pixels (default 280). */
  height?: number;
}

export const DEFAULT_WIDTH = 560;
export const DEFAULT_HEIGHT = 280;

/** Tableau-10: distinguishable, colour-blind-friendlier than the defaults, the same in every chart. */
export const PALETTE = [
  "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2",
  "#b279a2", "#eeca3b", "#ff9da6", "#9d755d", "#bab0ac",
] as const;

/**
 * DejaVu Sans comes first so the SVG/PNG rendered in Node (where DejaVu is the font we load) and
 * the chart in the browser use the same metrics when DejaVu is installed; browsers without it fall
 * back to the next family.
 */
export const FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";

/** The house theme, put into every top-level spec's `config`. */
export function theme(): Record<string, unknown> {
  return {
    font: FONT,
    background: "white",
    padding: 8,
    view: { stroke: "#ddd" },
    title: { fontSize: 15, fontWeight: "bold", anchor: "start", offset: 10, color: "#222" },
    axis: {
      labelFontSize: 11,
      titleFontSize: 12,
      titleFontWeight: "normal",
      titleColor: "#333",
      labelColor: "#444",
      gridColor: "#eee",
      domainColor: "#888",
      tickColor: "#888",
    },
    legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", labelColor: "#333", titleColor: "#333", orient: "right" },
    range: { category: [...PALETTE] },
    line: { strokeWidth: 2 },
    bar: { color: PALETTE[0] },
    area: { color: PALETTE[0] },
    point: { color: PALETTE[0] },
  };
}

/** Wraps a view or composition into a top-level spec with the schema, theme, title and size. */
export function topLevel(body: VegaLiteSpec, opts: ChartOptions = {}, sized = true): VegaLiteSpec {
  const spec: VegaLiteSpec = { $schema: VEGA_LITE_SCHEMA };
  if (opts.title) spec.title = opts.title;
  if (sized) {
    spec.width = opts.width ?? DEFAULT_WIDTH;
    spec.height = opts.height ?? DEFAULT_HEIGHT;
  }
  Object.assign(spec, body);
  spec.config = theme();
  return spec;
}

/**
 * Vega-lite reads `.` and `[ ]` in a field name as nested access ("loss.policy" → row.loss.policy),
 * so metric names containing them must be escaped to mean the flat column.
 */
export function fieldRef(name: string): string {
  return name.replace(/([.[\]\\])/g, "\\$1");
}

/** Normalises records or columns into fresh plain records (typed-array values become numbers). */
export function toRows(data: TableData): Row[] {
  if (Array.isArray(data)) return (data as readonly object[]).map((row) => ({ ...(row as Row) }));
  const cols = data as Columns;
  const names = Object.keys(cols);
  if (names.length === 0) return [];
  const n = cols[names[0]].length;
  for (const name of names) {
    if (cols[name].length !== n) {
      throw new Error(`column '${name}' has ${cols[name].length} values, expected ${n} (the length of '${names[0]}')`);
    }
  }
  const rows: Row[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Row = {};
    for (const name of names) row[name] = plainValue(cols[name][i]);
    rows[i] = row;
  }
  return rows;
}

function plainValue(v: unknown): unknown {
  return typeof v === "bigint" ? Number(v) : v;
}

/** A finite number from a cell, or undefined (missing keys, null, NaN, ±Infinity, non-numbers). */
export function finite(v: unknown): number | undefined {
  const x = typeof v === "bigint" ? Number(v) : v;
  return typeof x === "number" && Number.isFinite(x) ? x : undefined;
}

/**
 * The rows of `data`, after checking that each named field (by role: x, y, series, …) exists;
 * roles whose field is undefined are optional and skipped.
 */
export function rowsWithFields(data: TableData, fields: Record<string, string | undefined>): Row[] {
  const rows = toRows(data);
  for (const [role, field] of Object.entries(fields)) if (field !== undefined) requireField(rows, field, role);
  return rows;
}

/** Throws a clear error when a required field is absent from every row (usually a typo). */
export function requireField(rows: readonly Row[], field: string, role: string): void {
  if (rows.length === 0) return; // an empty chart is legitimate (e.g. a live chart before the first episode)
  if (!rows.some((r) => field in r)) {
    const seen = [...new Set(rows.slice(0, 50).flatMap((r) => Object.keys(r)))];
    throw new Error(`${role} field '${field}' is not in the data; columns are: ${seen.join(", ") || "(none)"}`);
  }
}
