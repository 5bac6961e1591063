/**
 * Errors as Jupyter `error` content, IPython style: the frames of the stack that are the user's
 * (cells and .ts files), most recent call last, each with its source line, then "Name: message".
 *
 * Cell frames are mapped back to the cell's lines with the cell's source map; frames in lib .ts files
 * are already mapped by Node (the TypeScript loader turns source maps on). Type errors get the same
 * shape, with a caret under each diagnostic.
 */
import fs from "node:fs";
import { SourceMap } from "node:module";
import util from "node:util";
import type { CellDiagnostic } from "./checker";
import type { SourceMapPayload } from "./repl-transform";

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** A compiled cell as the traceback needs it. */
export interface CellRecord {
  fileName: string; // the script's filename, as it appears in stack frames
  label: string; // "Cell In[3]"
  source: string;
  sourceMap?: SourceMapPayload;
  entryLine?: number;
}

export type CellLookup = (fileName: string) => CellRecord | undefined;

export interface StackFrame {
  fn: string | undefined;
  file: string;
  line: number; // 1-based
  column: number; // 1-based
}

const RED = "\x1b[0;31m";
const GREEN = "\x1b[0;32m";
const CYAN = "\x1b[0;36m";
const RESET = "\x1b[0m";
const RULE = "-".repeat(75);

/** Parses V8 "    at fn (file:line:col)" lines; other lines are skipped. */
export function parseStack(stack: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const text of stack.split("\n")) {
    const m = /^\s*at (?:async )?(?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/.exec(text);
    if (m) frames.push({ fn: m[1], file: m[2], line: Number(m[3]), column: Number(m[4]) });
  }
  return frames;
}

const maps = new WeakMap<SourceMapPayload, SourceMap>();

/** Maps a frame in a cell's emitted script to the cell's own line and column (1-based). */
export function mapCellFrame(cell: CellRecord, frame: StackFrame): { line: number; column: number } {
  if (!cell.sourceMap) return { line: frame.line, column: frame.column };
  let map = maps.get(cell.sourceMap);
  if (!map) maps.set(cell.sourceMap, (map = new SourceMap(cell.sourceMap as ConstructorParameters<typeof SourceMap>[0])));
  const entry = map.findEntry(frame.line - 1, frame.column - 1) as { originalLine?: number; originalColumn?: number };
  if (entry.originalLine === undefined) return { line: frame.line, column: frame.column };
  return { line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
}

const fileLines = new Map<string, string[] | undefined>();
function linesOf(file: string): string[] | undefined {
  if (!fileLines.has(file)) {
    let lines: string[] | undefined;
    try {
      lines = fs.readFileSync(file, "utf8").split("\n");
    } catch {
      lines = undefined;
    }
    fileLines.set(file, lines);
  }
  return fileLines.get(file);
}

/** Source lines around `line` (1-based), the current one marked with an arrow. */
export function context(lines: string[], line: number, around = 2): string[] {
  const first = Math.max(1, line - around);
  const last = Math.min(lines.length, line + around);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? `${GREEN}---->${RESET}` : "     ";
    out.push(`${marker} ${String(n).padStart(width)} ${lines[n - 1]}`);
  }
  return out;
}

/** Internal frames a user cannot act on: Node's own, and the kernel's plumbing. */
function isInternal(file: string): boolean {
  return file.startsWith("node:") || /[\\/]lib[\\/]kernel[\\/]/.test(file) || file.includes("node_modules/vitest");
}

function describe(err: unknown): { ename: string; evalue: string; stack: string } {
  if (err instanceof Error) {
    const ctor = (err as { constructor?: { name?: string } }).constructor?.name;
    const ename = err.name && err.name !== "Error" ? err.name : ctor || "Error";
    return { ename, evalue: err.message, stack: err.stack ?? "" };
  }
  return { ename: "Error", evalue: `Uncaught ${util.inspect(err)}`, stack: "" };
}

/** Error content for a value thrown by cell code. `ename` overrides the name (e.g. KeyboardInterrupt). */
export function errorContent(err: unknown, cells: CellLookup, override?: { ename?: string; evalue?: string }): ErrorContent {
  const described = describe(err);
  const ename = override?.ename ?? described.ename;
  const evalue = override?.evalue ?? described.evalue;
  const blocks: string[] = [];
  // Frames without readable source (dependencies, whose source maps point at their own build
  // trees) come in long runs; show the call into the library and count the rest.
  let hiddenRun = 0;
  const closeRun = () => {
    if (hiddenRun > 0) blocks[blocks.length - 1] += ` (+${hiddenRun} more inside)`;
    hiddenRun = 0;
  };
  let inLibrary = false;
  for (const frame of parseStack(described.stack).reverse()) {
    const cell = cells(frame.file);
    const where = frame.fn ? `, in ${frame.fn}` : "";
    if (cell && frame.line === cell.entryLine) continue;
    if (cell) {
      closeRun();
      inLibrary = false;
      const { line } = mapCellFrame(cell, frame);
      blocks.push([`${CYAN}${cell.label}${RESET}, line ${line}${where}`, ...context(cell.source.split("\n"), line)].join("\n"));
    } else if (!isInternal(frame.file)) {
      const lines = frame.file.includes("node_modules") ? undefined : linesOf(frame.file);
      const head = `${CYAN}File ${frame.file}:${frame.line}${RESET}${where}`;
      if (lines) {
        closeRun();
        inLibrary = false;
        blocks.push([head, ...context(lines, frame.line, 1)].join("\n"));
      } else if (inLibrary) {
        hiddenRun += 1;
      } else {
        inLibrary = true;
        blocks.push(head);
      }
    }
  }
  closeRun();
  return {
    ename,
    evalue,
    traceback: [
      `${RED}${RULE}${RESET}`,
      `${RED}${ename.padEnd(42)}${RESET}Traceback (most recent call last)`,
      ...blocks.map((b) => b + "\n"),
      `${RED}${ename}${RESET}: ${evalue}`,
    ],
  };
}

/** Error content for a cell that did not parse or type-check: each diagnostic at its line, with a caret. */
export function diagnosticsContent(diagnostics: CellDiagnostic[], cell: Pick<CellRecord, "label" | "source">): ErrorContent {
  const lines = cell.source.split("\n");
  const blocks = diagnostics.map((d) => {
    const line = d.line + 1;
    const width = String(Math.min(lines.length, line + 1)).length;
    const shown = context(lines, line, 1);
    const currentAt = shown.findIndex((l) => l.includes("---->"));
    const gutter = 6 + width + 1; // "----> " + number + " "
    const span = Math.max(1, Math.min(d.length, (lines[d.line] ?? "").length - d.character));
    shown.splice(currentAt + 1, 0, " ".repeat(gutter + d.character) + `${RED}${"^".repeat(span)}${RESET}`);
    return [`${CYAN}${cell.label}${RESET}, line ${line}`, ...shown, `${RED}TS${d.code}${RESET}: ${d.message}`].join("\n") + "\n";
  });
  const ename = diagnostics.some((d) => d.syntactic) ? "SyntaxError" : "TSError";
  const kind = ename === "SyntaxError" ? "syntax error" : "type error";
  const count = diagnostics.length === 1 ? `1 ${kind}` : `${diagnostics.length} ${kind}s`;
  const first = diagnostics[0];
  const evalue = `${first.message} (TS${first.code}, line ${first.line + 1})` + (diagnostics.length > 1 ? ` and ${diagnostics.length - 1} more` : "");
  return {
    ename,
    evalue,
    traceback: [`${RED}${RULE}${RESET}`, `${RED}${ename.padEnd(42)}${RESET}${count}`, ...blocks, `${RED}${ename}${RESET}: ${evalue}`],
  };
}

/** Removes ANSI colour codes (for tests and plain-text consumers). */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
