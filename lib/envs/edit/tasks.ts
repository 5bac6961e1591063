/**
 * Edit tasks: the records of datasets/edit/*.jsonl, and reading them strictly.
 *
 * One JSON object per line, with exactly these fields:
 *   { "id": "train-00001", "family": "replace", "instruction": "Swap dog for cat.",
 *     "source": "The dog slept.", "target": "The cat slept." }
 * The family is one of EDIT_FAMILIES; the source differs from the target; both have at most
 * EDIT_MAX_TOKENS tokens. `readEditTasks(file)` throws on the first bad line, naming the file, the line
 * and what is wrong; `readEditTasks(file, { lenient: true })` keeps the good lines and lists the bad.
 */
import * as fs from "node:fs";
import { EDIT_MAX_TOKENS } from "./actions";
import { tokenEditDistance } from "./distance";
import { editTokenize } from "./text";

export const EDIT_FAMILIES = ["capitalise", "period", "spaces", "delete", "insert", "replace", "upper", "lower", "typo"] as const;
export type EditFamily = (typeof EDIT_FAMILIES)[number];

/** What each family asks for, one line each (for tables and notebooks). */
export const EDIT_FAMILY_HELP: Readonly<Record<EditFamily, string>> = {
  capitalise: "capitalise the first letter of the sentence",
  period: "end the sentence with a period",
  spaces: "collapse runs of repeated spaces to one space",
  delete: "delete the word W (and a space next to it)",
  insert: "insert the word W after the word P, before the word N, or between P and N",
  replace: "replace the word A with B",
  upper: "upper-case the word W",
  lower: "lower-case the word W",
  typo: "fix a one-character typo in the word W (the instruction spells it correctly)",
};

/** heldout-phrasings: held-out sentences worded with the held-out phrasings (lib/envs/edit/phrasings). */
export const EDIT_SPLITS = ["train", "validation", "heldout", "heldout-phrasings"] as const;
export type EditSplit = (typeof EDIT_SPLITS)[number];

export interface EditTask {
  id: string;
  family: EditFamily;
  instruction: string;
  source: string;
  target: string;
}

const FIELDS = ["id", "family", "instruction", "source", "target"] as const;

/** What is wrong with a task record, or undefined when it is a valid task. */
export function editTaskProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `expected an object with fields ${FIELDS.join(", ")}, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`;
  }
  const rec = value as Record<string, unknown>;
  for (const f of FIELDS) {
    if (!(f in rec)) return `missing field '${f}'`;
    if (typeof rec[f] !== "string") return `field '${f}' must be a string, got ${JSON.stringify(rec[f])}`;
    if ((rec[f] as string).length === 0) return `field '${f}' is empty`;
  }
  const extra = Object.keys(rec).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (extra.length) return `unknown field${extra.length > 1 ? "s" : ""} ${extra.map((k) => `'${k}'`).join(", ")}; a task has only ${FIELDS.join(", ")}`;
  if (!(EDIT_FAMILIES as readonly string[]).includes(rec.family as string)) {
    return `unknown family ${JSON.stringify(rec.family)}; expected one of ${EDIT_FAMILIES.join(", ")}`;
  }
  if (rec.source === rec.target) return `source and target are the same (${JSON.stringify(rec.source)}): the task needs no edit`;
  for (const f of ["source", "target"] as const) {
    const n = editTokenize(rec[f] as string).length;
    if (n > EDIT_MAX_TOKENS) return `${f} has ${n} tokens; the edit agent handles at most ${EDIT_MAX_TOKENS}`;
  }
  return undefined;
}

/** The task, checked; throws naming `where` and what is wrong. */
export function checkEditTask(value: unknown, where = "task"): EditTask {
  const problem = editTaskProblem(value);
  if (problem) throw new EditTaskError(`${where}: ${problem}`);
  const rec = value as EditTask;
  return { id: rec.id, family: rec.family, instruction: rec.instruction, source: rec.source, target: rec.target };
}

export class EditTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EditTaskError";
  }
}

/** A bad line in lenient mode. */
export interface EditTaskLineError {
  line: number;
  message: string;
}

export interface ReadEditTasksOptions {
  /** Keep the good lines and return the bad ones as errors instead of throwing on the first. */
  lenient?: boolean;
}

/**
 * Tasks from a JSONL text; `name` (a file name) goes into error messages as `name:line`. Blank
 * lines are skipped. A duplicate id is an error naming the line that had it first.
 */
export function parseEditTasks(text: string, name: string): EditTask[];
export function parseEditTasks(text: string, name: string, opts: { lenient: true }): { tasks: EditTask[]; errors: EditTaskLineError[] };
export function parseEditTasks(text: string, name: string, opts: ReadEditTasksOptions = {}): EditTask[] | { tasks: EditTask[]; errors: EditTaskLineError[] } {
  const tasks: EditTask[] = [];
  const errors: EditTaskLineError[] = [];
  const ids = new Map<string, number>();
  const lines = text.split("\n");
  for (let k = 0; k < lines.length; k++) {
    const raw = lines[k].endsWith("\r") ? lines[k].slice(0, -1) : lines[k];
    if (raw.trim() === "") continue;
    const line = k + 1;
    let problem: string | undefined;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      problem = `not JSON (${(e as Error).message}): ${raw.length > 60 ? raw.slice(0, 60) + "…" : raw}`;
    }
    problem ??= editTaskProblem(value);
    if (!problem) {
      const id = (value as EditTask).id;
      const first = ids.get(id);
      if (first !== undefined) problem = `duplicate id ${JSON.stringify(id)} (first on line ${first})`;
      else ids.set(id, line);
    }
    if (problem) {
      if (!opts.lenient) throw new EditTaskError(`${name}:${line}: ${problem}`);
      errors.push({ line, message: `${name}:${line}: ${problem}` });
      continue;
    }
    tasks.push(checkEditTask(value));
  }
  return opts.lenient ? { tasks, errors } : tasks;
}

/** Tasks from a JSONL file (see `parseEditTasks`); errors name the file and the line. */
export function readEditTasks(file: string): EditTask[];
export function readEditTasks(file: string, opts: { lenient: true }): { tasks: EditTask[]; errors: EditTaskLineError[] };
export function readEditTasks(file: string, opts: ReadEditTasksOptions = {}): EditTask[] | { tasks: EditTask[]; errors: EditTaskLineError[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new EditTaskError(`readEditTasks: cannot read ${file}: ${(e as Error).message}`);
  }
  return opts.lenient ? parseEditTasks(text, file, { lenient: true }) : parseEditTasks(text, file);
}

/** JSONL text of tasks: one object per line, fields in the order id, family, instruction, source, target. */
export function formatEditTasks(tasks: readonly EditTask[]): string {
  return tasks.map((t) => JSON.stringify({ id: t.id, family: t.family, instruction: t.instruction, source: t.source, target: t.target }) + "\n").join("");
}

/**
 * The fewest edit actions (not counting STOP) that turn the task's source into its target: the
 * token-level Levenshtein distance between their tokenisations. Every action inserts, deletes or
 * replaces exactly one token, and for the generated families every needed payload is a candidate
 * and some order of the edits is legal under the mask, so this is exact there — the oracle reaches
 * it and tests/envs-edit-agent.test.ts confirms it with a breadth-first search over the action
 * space (`searchMinimalEdits`). Per family: capitalise, period, replace, upper, lower, typo 1;
 * spaces k (one per run); delete and insert 2 (the word and a space).
 */
export function minimalEdits(task: Pick<EditTask, "source" | "target">): number {
  return tokenEditDistance(task.source, task.target);
}
