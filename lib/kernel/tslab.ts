/**
 * `import * as tslab from "tslab"` in a cell: tslab's display API on this kernel, so notebooks
 * written for tslab run unchanged. Same names and behaviour as tslab's public module: `display.html(s)`
 * (and markdown, latex, javascript, svg, png, jpeg, gif, pdf, text, raw) sends one display_data
 * output with that one MIME type; `newDisplay()` returns a display that owns a single output and
 * replaces it in place on every later call (update_display_data with its display_id).
 *
 * The kernel resolves the module name to this file for type-checking and at run time (runtime.ts),
 * whether or not tslab itself is installed. Output goes through the same display sink as lib/viz;
 * with no kernel (a plain script) the calls do nothing, as lib/viz's do.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { currentDisplaySink, newDisplayId } from "../viz/display";

export interface Display {
  javascript(s: string): void;
  html(s: string): void;
  markdown(s: string): void;
  latex(s: string): void;
  svg(s: string): void;
  png(b: Uint8Array): void;
  jpeg(b: Uint8Array): void;
  gif(b: Uint8Array): void;
  pdf(b: Uint8Array): void;
  text(s: string): void;
  /** One output of any MIME type; bytes are sent base64-encoded, as Jupyter expects for binary types. */
  raw(contentType: string, b: string | Uint8Array): void;
}

class KernelDisplay implements Display {
  /** Set for `newDisplay()`: the first call shows the output, later calls replace it. */
  private readonly id?: string;
  private shown = false;

  constructor(id?: string) {
    this.id = id;
  }

  javascript(s: string): void { this.raw("application/javascript", s); }
  html(s: string): void { this.raw("text/html", s); }
  markdown(s: string): void { this.raw("text/markdown", s); }
  latex(s: string): void { this.raw("text/latex", s); }
  svg(s: string): void { this.raw("image/svg+xml", s); }
  png(b: Uint8Array): void { this.raw("image/png", b); }
  jpeg(b: Uint8Array): void { this.raw("image/jpeg", b); }
  gif(b: Uint8Array): void { this.raw("image/gif", b); }
  pdf(b: Uint8Array): void { this.raw("application/pdf", b); }
  text(s: string): void { this.raw("text/plain", s); }

  raw(contentType: string, b: string | Uint8Array): void {
    if (typeof contentType !== "string" || !/^[\w.+-]+\/[\w.+-]+$/.test(contentType)) {
      throw new TypeError(`tslab display: ${JSON.stringify(contentType)} is not a MIME type (expected e.g. "text/html")`);
    }
    const sink = currentDisplaySink();
    if (!sink) return;
    // the sink encodes bytes as base64 and keeps JSON types as objects
    const bundle = { [contentType]: b };
    if (this.id && this.shown) return sink.update(this.id, bundle);
    sink.display(bundle, this.id ? { displayId: this.id } : {});
    this.shown = true;
  }
}

/** A display that owns one output and replaces it on every call (a progress line, a live image). */
export function newDisplay(): Display {
  return new KernelDisplay(newDisplayId("tslab"));
}

/** Sends each call as a new output. */
export const display: Display = new KernelDisplay();

const packageVersion: string = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "package.json"), "utf8")).version;

/** Versions, as tslab reports them; `tslab` names the kernel that provides this module. */
export const versions: { tslab: string; typescript: string; node: string } = {
  tslab: `tsrl ${packageVersion}`,
  typescript: ts.version,
  node: process.version,
};
