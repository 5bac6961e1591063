/**
 * `save(spec, path)`: write a chart to disk as SVG or PNG (chosen by the extension), for figs/
 * and the README. Relative paths resolve against the current directory, like every Node file API;
 * use `figsDir("name.png")` from lib/data to target the repo's figs/ from a notebook.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { renderSvg, svgToPng, type PngOptions } from "./render";
import type { VegaLiteSpec } from "./spec";

export type SaveOptions = PngOptions;

/**
 * Renders `spec` and writes it to `file` (`.svg` or `.png`), creating parent directories.
 * The file is written to a temp name and renamed, so a reader never sees half a picture.
 * Returns the absolute path written.
 */
export async function save(spec: VegaLiteSpec, file: string, opts: SaveOptions = {}): Promise<string> {
  const target = path.resolve(file);
  const ext = path.extname(target).toLowerCase();
  if (ext !== ".svg" && ext !== ".png") throw new Error(`save: unsupported extension '${ext || "(none)"}' in ${file}; expected .svg or .png`);
  const svg = await renderSvg(spec);
  const bytes = ext === ".svg" ? Buffer.from(svg, "utf8") : svgToPng(svg, opts);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return target;
}
