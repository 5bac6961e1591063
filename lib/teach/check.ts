/**
 * Exercises that check themselves. Each exercise in a notebook ends with a cell like
 *
 *   checkFunction("rewardToGo", myRewardToGo, rewardToGo, rewardToGoCases())
 *
 * which runs the learner's function and the library's on the same (seeded, random) cases and says
 * exactly what is wrong — the first case that differs, its inputs, both outputs and where they part —
 * or that every case agrees. A function that still throws ("TODO") is reported as not done yet.
 * The result is a value: shown as a green or red box in a notebook, as text elsewhere, and with a
 * boolean `passed` a test (or the next cell) can use.
 */
import util from "node:util";
import type { MimeBundle } from "../viz/display";

export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  /** One line: what was checked and how it went. */
  readonly summary: string;
  /** What to look at when it failed: the case, your output, the expected one. */
  readonly details: string[];
  /** How a notebook shows it. */
  [Symbol.toPrimitive](hint: string): string;
}

const DISPLAY = Symbol.for("Jupyter.display");

function result(name: string, passed: boolean, summary: string, details: string[] = []): CheckResult {
  const text = `${passed ? "✓" : "✗"} ${name}: ${summary}${details.length ? "\n" + details.map((d) => `    ${d}`).join("\n") : ""}`;
  const out = {
    name,
    passed,
    summary,
    details,
    [Symbol.toPrimitive]: () => text,
    [util.inspect.custom]: () => text,
    [DISPLAY]: (): MimeBundle => ({ "text/html": checkHtml(name, passed, summary, details), "text/plain": text }),
  };
  return out as CheckResult;
}

/**
 * ✓/✗ and the name in bold and colour, the summary, and what to look at. No inline style (a
 * notebook opened untrusted is sanitised, and every style becomes `style="undefined:undefined"`):
 * <font color> and <pre> pass the sanitiser, and ✓/✗ read without colour.
 */
function checkHtml(name: string, passed: boolean, summary: string, details: string[]): string {
  const colour = passed ? "#1a7f37" : "#cf222e";
  const rows = details.length ? `<pre>${details.map(escapeHtml).join("\n")}</pre>` : "";
  return `<div class="tsrl-check"><b><font color="${colour}">${passed ? "✓" : "✗"} ${escapeHtml(name)}</font></b> — ${escapeHtml(summary)}${rows}</div>`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** How values are compared: numbers (and arrays of them, deeply) within `tolerance`, the rest exactly. */
export interface CompareOptions {
  /** Absolute tolerance plus the same relative tolerance (default 1e-5: float32 arithmetic). */
  tolerance?: number;
}

/**
 * Where `got` and `want` first differ, as a path and the two values ("[2]: 1.9 vs 2.71"), or
 * undefined when they agree. Typed arrays and arrays compare element-wise; objects key by key.
 */
export function firstDifference(got: unknown, want: unknown, opts: CompareOptions = {}, at = ""): string | undefined {
  const tol = opts.tolerance ?? 1e-5;
  if (typeof want === "number" || typeof got === "number") {
    if (typeof got !== "number" || typeof want !== "number") return `${at || "value"}: ${show(got)} vs ${show(want)} (expected a number)`;
    if (Number.isNaN(want) && Number.isNaN(got)) return undefined;
    return Math.abs(got - want) <= tol * (1 + Math.abs(want)) ? undefined : `${at || "value"}: ${fmt(got)} vs ${fmt(want)}`;
  }
  const isList = (x: unknown): x is ArrayLike<unknown> => Array.isArray(x) || ArrayBuffer.isView(x);
  if (isList(want)) {
    if (!isList(got)) return `${at || "value"}: got ${show(got)}, expected a list of ${want.length}`;
    if (got.length !== want.length) return `${at || "value"}: length ${got.length} vs ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const d = firstDifference(got[i], want[i], opts, `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (typeof want === "object" && want !== null) {
    if (typeof got !== "object" || got === null) return `${at || "value"}: got ${show(got)}, expected an object`;
    for (const key of Object.keys(want)) {
      const d = firstDifference((got as Record<string, unknown>)[key], (want as Record<string, unknown>)[key], opts, `${at}.${key}`);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(got, want) ? undefined : `${at || "value"}: ${show(got)} vs ${show(want)}`;
}

/**
 * Runs `yours` and `reference` on every case (each case is the argument list) and compares the
 * outputs. Stops at the first disagreement and reports it; an exception from `yours` is reported
 * with the case that raised it ("not done yet" if it is the first case and says TODO).
 */
export function checkFunction<A extends unknown[], R>(
  name: string,
  yours: (...args: A) => R,
  reference: (...args: A) => R,
  cases: readonly A[],
  opts: CompareOptions = {},
): CheckResult {
  if (typeof yours !== "function") return result(name, false, `expected a function, got ${show(yours)}`);
  for (let k = 0; k < cases.length; k++) {
    const args = cases[k];
    let got: R;
    try {
      got = yours(...args);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (k === 0 && /todo|not implemented/i.test(message)) return result(name, false, `not done yet (your function says: ${message})`);
      return result(name, false, `your function threw on case ${k + 1} of ${cases.length}: ${message}`, [`inputs: ${showArgs(args)}`]);
    }
    const want = reference(...args);
    const diff = firstDifference(got, want, opts);
    if (diff) {
      return result(name, false, `case ${k + 1} of ${cases.length} differs from the library's`, [
        `inputs:   ${showArgs(args)}`,
        `yours:    ${show(got)}`,
        `expected: ${show(want)}`,
        `first difference (yours vs expected) at ${diff}`,
      ]);
    }
  }
  return result(name, true, `agrees with the library on all ${cases.length} cases`);
}

/** Checks one answer against the expected value (numbers within `tolerance`), with a hint when it is off. */
export function checkValue(name: string, yours: unknown, expected: unknown, opts: CompareOptions & { hint?: string } = {}): CheckResult {
  if (yours === undefined) return result(name, false, "not answered yet (the value is undefined)");
  const diff = firstDifference(yours, expected, opts);
  if (!diff) return result(name, true, `${show(yours)} is right`);
  return result(name, false, `${show(yours)} is not what we get`, [`expected: ${show(expected)}`, ...(opts.hint ? [`hint: ${opts.hint}`] : [])]);
}

/** A check of any property: `ok` says whether it holds; `message` says what it means either way. */
export function checkThat(name: string, ok: boolean, message: { pass: string; fail: string }, details: string[] = []): CheckResult {
  return result(name, ok, ok ? message.pass : message.fail, ok ? [] : details);
}

/** Several checks as one result: passes when all pass; lists the ones that did not. */
export function checkAll(name: string, checks: readonly CheckResult[]): CheckResult {
  const failed = checks.filter((c) => !c.passed);
  if (failed.length === 0) return result(name, true, `all ${checks.length} checks pass`);
  return result(name, false, `${failed.length} of ${checks.length} checks fail`, failed.flatMap((c) => [`✗ ${c.name}: ${c.summary}`, ...c.details.map((d) => `  ${d}`)]));
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

function show(v: unknown): string {
  if (typeof v === "number") return fmt(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return `${v.constructor.name}[${Array.from(v as unknown as ArrayLike<number>, fmt).join(", ")}]`;
  return util.inspect(v, { depth: 3, breakLength: Infinity, maxArrayLength: 20, colors: false });
}

function showArgs(args: readonly unknown[]): string {
  return args.map(show).join(", ");
}
