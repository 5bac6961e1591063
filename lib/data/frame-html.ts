/**
 * Polars DataFrames as notebook tables (the kernel calls this to display a DataFrame result).
 * The formatting itself is lib/viz's table, so frames and plain rows look the same.
 */

import type pl from "nodejs-polars";
import { htmlTable, table, textTable } from "../viz/table";
import type { MimeBundle } from "../viz/display";
import { frameToRows } from "./csv";

function dtypeName(dtype: unknown): string {
  // polars prints "DataType(Float64)"; show the short name like polars' own repr does
  return String(dtype).replace(/^DataType\((.*)\)$/, "$1").replace(/^Float(\d+)$/, "f$1").replace(/^Int(\d+)$/, "i$1")
    .replace(/^UInt(\d+)$/, "u$1").replace(/^(String|Utf8)$/, "str").replace(/^Bool(ean)?$/, "bool");
}

function parts(df: pl.DataFrame, maxRows: number) {
  const rows = frameToRows(df.head(maxRows));
  const types = Object.fromEntries(df.columns.map((c, i) => [c, dtypeName(df.dtypes[i])]));
  return { rows, opts: { columns: df.columns, types, maxRows }, total: df.height };
}

/** A clean HTML table of the first `maxRows` rows, column dtypes under the names, and the shape. */
export function dataFrameHtml(df: pl.DataFrame, maxRows = 20): string {
  const p = parts(df, maxRows);
  return htmlTable(p.rows, p.opts, p.total);
}

/** Plain-text version of `dataFrameHtml`. */
export function dataFrameText(df: pl.DataFrame, maxRows = 20): string {
  const p = parts(df, maxRows);
  return textTable(p.rows, p.opts, p.total);
}

/** The MIME bundle (HTML + text) for `show(frameBundle(df))` or the kernel's result display. */
export function dataFrameBundle(df: pl.DataFrame, maxRows = 20): MimeBundle {
  const p = parts(df, maxRows);
  return table(p.rows, p.opts, p.total);
}
