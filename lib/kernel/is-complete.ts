/**
 * is_complete_request: should the console run the code on Enter or wait for more lines?
 * The code parses → "complete"; every syntax error sits at the very end (an unclosed brace,
 * bracket, template or comment, a dangling operator) → "incomplete", with the next line's indent;
 * otherwise → "invalid".
 */
import ts from "typescript";
import { pagerTarget } from "./pager";

export interface IsCompleteReply {
  status: "complete" | "incomplete" | "invalid";
  indent?: string;
}

/** Errors at end of input that more input can never fix (strings do not span lines). */
const NEVER_INCOMPLETE = new Set([1002 /* Unterminated string literal */]);

export function isComplete(code: string): IsCompleteReply {
  if (pagerTarget(code) !== undefined) return { status: "complete" };
  const { diagnostics = [] } = ts.transpileModule(code, {
    fileName: "cell.ts",
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleDetection: ts.ModuleDetectionKind.Force },
  });
  if (diagnostics.length === 0) return { status: "complete" };
  const end = code.trimEnd().length;
  const atEnd = diagnostics.every((d) => (d.start ?? 0) >= end && !NEVER_INCOMPLETE.has(d.code));
  if (!atEnd) return { status: "invalid" };
  return { status: "incomplete", indent: nextIndent(code) };
}

function nextIndent(code: string): string {
  const lines = code.trimEnd().split("\n");
  const last = lines[lines.length - 1] ?? "";
  const indent = /^\s*/.exec(last)![0];
  return /[{([]\s*$/.test(last) ? indent + "  " : indent;
}
