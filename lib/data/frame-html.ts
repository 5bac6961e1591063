/**
 * Polars DataFrames as notebook tables (the kernel calls this to display a DataFrame result).
 * The formatting itself is lib/viz's table, so frames and plain rows look the same, and are cut
 * the same way: a long frame shows its first and last rows. Only the rows shown are converted.
 */

import type pl from "nodejs-polars";
import { htmlTable, table, tableCut, type CutRows, type TableOptions } from "../viz/table";
import type { MimeBundle } from "../viz/display";
import { frameToRows } from "./csv";

function dtypeName(dtype: unknown): string {
  // polars prints "DataType(Float64)"; show the short name like polars' own repr does
  return String(dtype).replace(/^DataType\((.*)\)$/, "$1").replace(/^Float(\d+)$/, "f$1").replace(/^Int(\d+)$/, "i$1")
    .replace(/^UInt(\d+)$/, "u$1").replace(/^(String|Utf8)$/, "str").replace(/^Bool(ean)?$/, "bool");
}

/** What a frame's table needs: only the rows shown (first and last when it is cut), and the dtypes. */
function parts(df: pl.DataFrame, maxRows?: number): { rows: Record<string, unknown>[]; opts: TableOptions; cut?: CutRows } {
  const types = Object.fromEntries(df.columns.map((c, i) => [c, dtypeName(df.dtypes[i])]));
  const opts: TableOptions = { columns: df.columns, types, maxRows };
  const c = tableCut(df.height, opts);
  if (!c) return { rows: frameToRows(df), opts };
  const rows = [...frameToRows(df.head(c.head)), ...(c.tail > 0 ? frameToRows(df.tail(c.tail)) : [])];
  return { rows, opts, cut: { total: df.height, head: c.head } };
}

/** A clean HTML table (column dtypes under the names, and the shape); longer than `maxRows` (default 60), cut. */
export function dataFrameHtml(df: pl.DataFrame, maxRows?: number): string {
  const p = parts(df, maxRows);
  return htmlTable(p.rows, p.opts, p.cut);
}

/** The MIME bundle (HTML + text) for `show(frameBundle(df))` or the kernel's result display. */
export function dataFrameBundle(df: pl.DataFrame, maxRows?: number): MimeBundle {
  const p = parts(df, maxRows);
  return table(p.rows, p.opts, p.cut);
}
