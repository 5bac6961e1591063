/**
 * How a cell's last value is shown (its execute_result bundle). Recognised by shape, not by class,
 * so any copy of tfjs or polars works: tensors print shape, dtype and values; DataFrames render as
 * HTML tables; vega-lite specs render as charts; objects may supply their own bundle through
 * `[Symbol.for("Jupyter.display")]()` (the convention Deno's kernel uses); the rest is util.inspect.
 */
import util from "node:util";

export type MimeBundle = Record<string, unknown>;

export interface ReprOptions {
  /** Turns a vega-lite spec into a display bundle (lib/viz's specBundle), if available. */
  specBundle?: (spec: object) => Promise<MimeBundle> | MimeBundle;
}

interface TensorLike {
  shape: number[];
  dtype: string;
  dataSync(): unknown;
  toString(verbose?: boolean): string;
  isDisposed?: boolean;
}

interface DataFrameLike {
  columns: string[];
  height: number;
  width?: number;
  head(n: number): DataFrameLike;
  tail(n: number): DataFrameLike;
  toRecords(): Record<string, unknown>[];
  toString(): string;
}

export function isTensor(value: unknown): value is TensorLike {
  const v = value as TensorLike;
  return typeof value === "object" && value !== null && Array.isArray(v.shape) && typeof v.dtype === "string" && typeof v.dataSync === "function";
}

export function isDataFrame(value: unknown): value is DataFrameLike {
  const v = value as DataFrameLike;
  return typeof value === "object" && value !== null && typeof v.toRecords === "function" && Array.isArray(v.columns) && typeof v.height === "number";
}

export function isVegaLiteSpec(value: unknown): value is { $schema: string } {
  const schema = (value as { $schema?: unknown } | null)?.$schema;
  return typeof value === "object" && value !== null && typeof schema === "string" && schema.includes("vega-lite");
}

const DISPLAY = Symbol.for("Jupyter.display");

/** The bundle for a value; undefined for `undefined` (nothing is shown). */
export async function reprBundle(value: unknown, options: ReprOptions = {}): Promise<MimeBundle | undefined> {
  if (value === undefined) return undefined;
  if (isTensor(value)) return { "text/plain": tensorText(value) };
  if (isDataFrame(value)) return dataFrameBundle(value);
  const custom = (value as Record<symbol, unknown> | null)?.[DISPLAY];
  if (typeof custom === "function") {
    const bundle = normalizeBundle(await custom.call(value));
    bundle["text/plain"] ??= util.inspect(value, { depth: 1, colors: false });
    return bundle;
  }
  if (isVegaLiteSpec(value)) {
    if (options.specBundle) return normalizeBundle(await options.specBundle(value));
    return { "application/vnd.vegalite.v5+json": value, "text/plain": "<VegaLite 5 chart>" };
  }
  return { "text/plain": util.inspect(value, { depth: 4, colors: false, maxArrayLength: 100 }) };
}

function tensorText(tensor: TensorLike): string {
  if (tensor.isDisposed) return `Tensor (disposed) dtype=${tensor.dtype} shape=[${tensor.shape.join(",")}]`;
  try {
    return tensor.toString(true);
  } catch (err) {
    return `Tensor dtype=${tensor.dtype} shape=[${tensor.shape.join(",")}] (${(err as Error).message})`;
  }
}

const MAX_ROWS = 40;

function dataFrameBundle(df: DataFrameLike): MimeBundle {
  const shown = df.height > MAX_ROWS ? [...df.head(MAX_ROWS - 5).toRecords(), undefined, ...df.tail(5).toRecords()] : df.toRecords();
  const th = df.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const rows = shown.map((record) =>
    record === undefined
      ? `<tr>${df.columns.map(() => "<td>…</td>").join("")}</tr>`
      : `<tr>${df.columns.map((c) => `<td>${escapeHtml(cellText(record[c]))}</td>`).join("")}</tr>`,
  );
  const html = [
    `<div><small>shape: (${df.height}, ${df.columns.length})</small>`,
    `<table class="dataframe" border="1"><thead><tr>${th}</tr></thead>`,
    `<tbody>${rows.join("")}</tbody></table></div>`,
  ].join("\n");
  let text: string;
  try {
    text = df.toString();
  } catch {
    text = `DataFrame shape: (${df.height}, ${df.columns.length})`;
  }
  return { "text/html": html, "text/plain": text };
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  return util.inspect(value, { depth: 1, breakLength: Infinity });
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** JSON MIME types travel as JSON objects; every other type as a string. */
export function isJsonMime(mime: string): boolean {
  return mime === "application/json" || mime.endsWith("+json");
}

export function normalizeBundle(bundle: MimeBundle): MimeBundle {
  const out: MimeBundle = {};
  for (const [mime, data] of Object.entries(bundle ?? {})) {
    if (data === undefined) continue;
    if (isJsonMime(mime)) {
      out[mime] = typeof data === "string" ? parseJsonOr(data) : data;
    } else {
      out[mime] = typeof data === "string" ? data : data instanceof Uint8Array ? Buffer.from(data).toString("base64") : typeof data === "object" ? JSON.stringify(data) : String(data);
    }
  }
  return out;
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
