/**
 * CSV in and out, through polars (fast, and it types the columns for us). `writeCsv` lives with
 * the metrics log; reading is here.
 */

import * as fs from "node:fs";
import pl from "nodejs-polars";
import type { MetricsRow } from "./metrics";

export { writeCsv } from "./metrics";

/** Reads a CSV file into a polars DataFrame (an empty file gives an empty frame). */
export function readCsvFrame(file: string): pl.DataFrame {
  if (!fs.existsSync(file)) throw new Error(`readCsv: no such file ${file}`);
  if (fs.statSync(file).size === 0) return pl.DataFrame([]);
  try {
    // a long first stretch of integers followed by a float must not fail the parse
    return pl.readCSV(file, { inferSchemaLength: 10_000 });
  } catch (err) {
    throw new Error(`readCsv: cannot parse ${file}: ${(err as Error).message.split("\n")[0]}`);
  }
}

/**
 * Reads a CSV file into plain rows. Empty cells (nulls) are left out of the row, so a metrics log
 * written with `saveCsv` reads back as the same rows.
 */
export function readCsv(file: string): MetricsRow[] {
  const df = readCsvFrame(file);
  if (df.width === 0) return [];
  return frameToRows(df);
}

/** DataFrame → plain rows, dropping null cells. */
export function frameToRows(df: pl.DataFrame): MetricsRow[] {
  return (df.toRecords() as Record<string, MetricsRow[string]>[]).map((r) => {
    const row: MetricsRow = {};
    for (const [k, v] of Object.entries(r)) if (v !== null && v !== undefined) row[k] = v;
    return row;
  });
}
