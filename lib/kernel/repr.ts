/**
 * How a cell's last value is shown (its execute_result bundle). Recognised by shape, not by class,
 * so any copy of tfjs or polars works: tensors print shape, dtype and values; DataFrames render as
 * HTML tables; vega-lite specs render as charts; objects may supply their own bundle through
 * `[Symbol.for("Jupyter.display")]()` (the convention Deno's kernel uses); the rest is util.inspect.
 */
import util from "node:util";
import type pl from "nodejs-polars";
import { dataFrameBundle } from "../data/frame-html";
import { isMimeBundle, isMimeType, type MimeBundle } from "../viz/display";
import { specBundle } from "../viz/show";

export type { MimeBundle };

interface TensorLike {
  shape: number[];
  dtype: string;
  dataSync(): unknown;
  toString(verbose?: boolean): string;
  isDisposed?: boolean;
}

export function isTensor(value: unknown): value is TensorLike {
  const v = value as TensorLike;
  return typeof value === "object" && value !== null && Array.isArray(v.shape) && typeof v.dtype === "string" && typeof v.dataSync === "function";
}

export function isDataFrame(value: unknown): value is pl.DataFrame {
  const v = value as pl.DataFrame;
  return typeof value === "object" && value !== null && typeof v.toRecords === "function" && Array.isArray(v.columns) && typeof v.height === "number";
}

export function isVegaLiteSpec(value: unknown): value is { $schema: string } {
  const schema = (value as { $schema?: unknown } | null)?.$schema;
  return typeof value === "object" && value !== null && typeof schema === "string" && schema.includes("vega-lite");
}

const DISPLAY = Symbol.for("Jupyter.display");

/** The bundle for a value; undefined for `undefined` (nothing is shown). */
export async function reprBundle(value: unknown): Promise<MimeBundle | undefined> {
  if (value === undefined) return undefined;
  if (isTensor(value)) return { "text/plain": tensorText(value) };
  if (isDataFrame(value)) return normalizeBundle(dataFrameBundle(value));
  // a bundle built by lib/viz (`table(rows)`, …) shows as what it is
  if (isMimeBundle(value)) return normalizeBundle(value);
  const custom = (value as Record<symbol, unknown> | null)?.[DISPLAY];
  if (typeof custom === "function") {
    const bundle = normalizeBundle(await custom.call(value));
    bundle["text/plain"] ??= util.inspect(value, { depth: 1, colors: false });
    return bundle;
  }
  if (isVegaLiteSpec(value)) return normalizeBundle(await specBundle(value));
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

/** JSON MIME types travel as JSON objects; every other type as a string. */
export function isJsonMime(mime: string): boolean {
  return mime === "application/json" || mime.endsWith("+json");
}

/**
 * A bundle as the wire carries it. Keys that are not MIME types are left out: nbformat allows only
 * MIME keys in display data, and anything else would be saved into the notebook file (lib/viz's
 * `display` refuses such bundles with an error; this guards sinks called directly).
 */
export function normalizeBundle(bundle: MimeBundle): MimeBundle {
  const out: MimeBundle = {};
  for (const [mime, data] of Object.entries(bundle ?? {})) {
    if (data === undefined || !isMimeType(mime)) continue;
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
