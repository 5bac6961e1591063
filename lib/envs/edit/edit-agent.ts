/**
 * EditAgent-v0: turn a source text into what an instruction asks for, one token edit at a time,
 * checked by exact match against a target the agent never sees — a small, fully verifiable model
 * of LLM post-training (instruction in, text out, a verifier's reward).
 *
 * ## Tasks
 * `{ id, family, instruction, source, target }` records (lib/envs/edit/tasks). `options.tasks` is an
 * array of them or the path of a JSONL file; otherwise `options.split` ("train" default,
 * "validation", "heldout") reads datasets/edit/<split>.jsonl. `reset({ seed })` draws a task with the
 * env's generator; `reset({ options: { taskIndex } })` or `reset({ options: { task } })` sets one. The
 * registry's `groupStart` draws a `taskIndex` once per GRPO group, so a group's K episodes share it.
 *
 * ## Text model
 * The current text is a list of tokens (lib/envs/edit/text): words, runs of spaces and single
 * punctuation characters; the text is their concatenation, so every character is kept. An edit
 * changes one token and the list is not re-tokenised between steps (inserting a word next to a
 * word leaves two tokens), so a location means the same token before and after other edits.
 *
 * ## Action space: Discrete(3936)
 * `index = (op · 41 + location) · 24 + payload`, ops INSERT 0, REPLACE 1, DELETE 2, STOP 3;
 * locations tokens 0…39 and END (40); payload slots 0…23 of the observation's `payloads`.
 * `decodeAction` / `encodeAction` convert; lib/envs/edit/actions has the table, the payload list
 * and the mask's rules. `info.actionMask` marks the legal actions; a masked action (a policy that
 * ignores the mask) leaves the text unchanged and costs `illegalPenalty`, with `info.illegal` true.
 *
 * ## Observation: a plain object (`EditObservation`)
 * | field | what |
 * |---|---|
 * | instruction | the instruction text |
 * | text | the current text |
 * | instructionTokens | the instruction's tokens |
 * | textTokens | the current token list (locations index it) |
 * | payloads | this state's payload candidates (≤ 24; slot p of an action writes payloads[p]) |
 * Never the target. `observationSpace` is Box(0, 1, (EDIT_FEATURE_SIZE,)): the space of the
 * relational featuriser's flat vector (`featurizeEditObservation(obs).flat`), for networks that
 * want one; the observation itself is the object above.
 *
 * ## Rewards (`options.rewards`, defaults)
 * With d_t the character edit distance from the text after step t to the target and d_0 the
 * source's (≥ 1: every task needs an edit):
 * | term | default | when |
 * |---|---|---|
 * | progress | 1 | × (d_{t−1} − d_t) / d_0 every step: the fraction of the distance closed (negative when it grows); over an episode it sums to 1 − d_T / d_0 |
 * | stepCost | 0.01 | subtracted every step, STOP included |
 * | exactBonus | 1 | STOP with the text equal to the target |
 * | wrongStopPenalty | 0.5 | subtracted on STOP with any other text |
 * | illegalPenalty | 0.1 | subtracted for a masked action |
 * So the oracle on a one-edit task earns 1 − 0.01 + (1 − 0.01) = 1.98, STOP at once −0.51.
 *
 * ## Episode end
 * Termination: STOP. Truncation: `makeEnv` adds a 20-step limit (Gymnasium's TimeLimit); every
 * generated task needs at most 3 edits and 1 STOP. `info` carries `exactMatch`, `editDistance`
 * (characters, to the target), `minimalEdits` (the task's, STOP not counted), `edits` and `steps`
 * so far, `taskIndex`, `taskId` and `family`.
 *
 * ## Randomness
 * Only the task draw, from the env's generator seeded by `reset({ seed })`; the dynamics are
 * deterministic.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InvalidActionError, type Env, type Info, type ResetArgs, type StepResult } from "../../core/env";
import { createRng, randomSeed, type Rng } from "../../core/rng";
import { box, discrete } from "../../core/spaces";
import { datasetsDir } from "../../data/paths";
import { EDIT_ACTIONS, EDIT_STOP, applyEditAction, applyEditFlags, describeAction, editActionMask, editObservation, type EditObservation } from "./actions";
import { charEditDistance } from "./distance";
import { EDIT_FEATURE_SIZE } from "./features";
import { EDIT_SPLITS, checkEditTask, minimalEdits, readEditTasks, type EditSplit, type EditTask } from "./tasks";
import { editDetokenize, editTokenize } from "./text";

export const EDIT_AGENT_ID = "EditAgent-v0";
/** The registry's time limit. */
export const EDIT_MAX_STEPS = 20;

export interface EditRewards {
  progress: number;
  stepCost: number;
  exactBonus: number;
  wrongStopPenalty: number;
  illegalPenalty: number;
}

export const DEFAULT_EDIT_REWARDS: Readonly<EditRewards> = Object.freeze({ progress: 1, stepCost: 0.01, exactBonus: 1, wrongStopPenalty: 0.5, illegalPenalty: 0.1 });

export interface EditAgentOptions {
  /** Task records, or the path of a JSONL file of them. */
  tasks?: readonly EditTask[] | string;
  /** A split of datasets/edit (default "train"); not with `tasks`. */
  split?: EditSplit;
  rewards?: Partial<EditRewards>;
}

export interface EditAgentInfo extends Info {
  actionMask: Uint8Array;
  exactMatch: boolean;
  /** Character edit distance from the current text to the target. */
  editDistance: number;
  /** The task's minimal number of edit actions (STOP not counted). */
  minimalEdits: number;
  /** Actions taken so far, STOP and masked ones included. */
  steps: number;
  /** Edit actions applied so far (not STOP, not masked ones). */
  edits: number;
  /** Index into `env.tasks`, or −1 for a task given in the reset options. */
  taskIndex: number;
  taskId: string;
  family: string;
  /** This step's action, in words ("REPLACE token 0 with \"The\""). */
  action?: string;
  /** This step's action was masked: nothing changed. */
  illegal?: boolean;
}

export interface EditAgentEnv extends Env<EditObservation, number> {
  /** The tasks `reset` draws from. */
  readonly tasks: readonly EditTask[];
  /** The current episode's task. */
  readonly task: EditTask;
  /** The current token list; do not modify. */
  readonly tokens: readonly string[];
  reset(args?: ResetArgs): { obs: EditObservation; info: EditAgentInfo };
  step(action: number): StepResult<EditObservation> & { info: EditAgentInfo };
}

const OPTION_KEYS = ["tasks", "split", "rewards"];
const RESET_KEYS = ["task", "taskIndex"];

export function makeEditAgent(options: EditAgentOptions = {}): EditAgentEnv {
  for (const k of Object.keys(options)) if (!OPTION_KEYS.includes(k)) throw new RangeError(`${EDIT_AGENT_ID}: unknown option '${k}'; expected one of ${OPTION_KEYS.join(", ")}`);
  const rewards = checkRewards({ ...DEFAULT_EDIT_REWARDS, ...(options.rewards ?? {}) });
  const tasks = resolveEditTasks(options);
  let rng: Rng = createRng(randomSeed());
  let task: EditTask = tasks[0];
  let taskIndex = -1;
  let instructionTokens: string[] = [];
  let tokens: string[] = [];
  let edited: boolean[] = [];
  let obs: EditObservation;
  let mask: Uint8Array;
  let d0 = 1, distance = 0, minimal = 0, steps = 0, edits = 0;
  let started = false, over = false;

  const observe = () => {
    obs = editObservation(task.instruction, tokens, instructionTokens, edited);
    mask = editActionMask(tokens, obs.payloads);
  };
  const info = (extra: Partial<EditAgentInfo> = {}): EditAgentInfo => ({
    actionMask: mask,
    exactMatch: obs.text === task.target,
    editDistance: distance,
    minimalEdits: minimal,
    steps,
    edits,
    taskIndex,
    taskId: task.id,
    family: task.family,
    ...extra,
  });

  const env: EditAgentEnv = {
    id: EDIT_AGENT_ID,
    observationSpace: box(0, 1, [EDIT_FEATURE_SIZE]),
    actionSpace: discrete(EDIT_ACTIONS),
    get tasks() {
      return tasks;
    },
    get task() {
      return task;
    },
    get tokens() {
      return tokens;
    },
    reset(args = {}) {
      if (args.seed !== undefined) rng = createRng(args.seed);
      const o = args.options ?? {};
      for (const k of Object.keys(o)) if (!RESET_KEYS.includes(k)) throw new RangeError(`${EDIT_AGENT_ID}: unknown reset option '${k}'; expected ${RESET_KEYS.join(" or ")}`);
      if (o.task !== undefined && o.taskIndex !== undefined) throw new RangeError(`${EDIT_AGENT_ID}: reset options give both task and taskIndex; give one`);
      if (o.task !== undefined) {
        task = checkEditTask(o.task, `${EDIT_AGENT_ID}: reset option task`);
        taskIndex = -1;
      } else if (o.taskIndex !== undefined) {
        const k = o.taskIndex;
        if (!(typeof k === "number" && Number.isInteger(k) && k >= 0 && k < tasks.length)) {
          throw new RangeError(`${EDIT_AGENT_ID}: reset option taskIndex must be an integer in 0..${tasks.length - 1}, got ${JSON.stringify(k)}`);
        }
        taskIndex = k;
        task = tasks[k];
      } else {
        taskIndex = rng.int(tasks.length);
        task = tasks[taskIndex];
      }
      instructionTokens = editTokenize(task.instruction);
      tokens = editTokenize(task.source);
      edited = tokens.map(() => false);
      d0 = distance = charEditDistance(task.source, task.target);
      minimal = minimalEdits(task);
      steps = edits = 0;
      started = true;
      over = false;
      observe();
      return { obs, info: info() };
    },
    step(action) {
      if (!started) throw new Error(`${EDIT_AGENT_ID}: step() called before reset()`);
      if (over) throw new Error(`${EDIT_AGENT_ID}: step() called after the episode ended (STOP); call reset()`);
      if (!(typeof action === "number" && Number.isInteger(action) && action >= 0 && action < EDIT_ACTIONS)) {
        throw new InvalidActionError(EDIT_AGENT_ID, action, `an integer in 0..${EDIT_ACTIONS - 1} (Discrete(${EDIT_ACTIONS}))`);
      }
      steps++;
      const described = describeAction(action, obs.payloads);
      if (!mask[action]) {
        return { obs, reward: -rewards.stepCost - rewards.illegalPenalty, terminated: false, truncated: false, info: info({ action: described, illegal: true }) };
      }
      const next = applyEditAction(tokens, obs.payloads, action);
      if (next === "stop") {
        over = true;
        const exact = obs.text === task.target;
        const reward = -rewards.stepCost + (exact ? rewards.exactBonus : -rewards.wrongStopPenalty);
        return { obs, reward, terminated: true, truncated: false, info: info({ action: described }) };
      }
      tokens = next;
      edited = applyEditFlags(edited, action);
      edits++;
      const before = distance;
      distance = charEditDistance(editDetokenize(tokens), task.target);
      observe();
      const reward = (rewards.progress * (before - distance)) / d0 - rewards.stepCost;
      return { obs, reward, terminated: false, truncated: false, info: info({ action: described }) };
    },
  };
  return env;
}

function checkRewards(r: EditRewards): EditRewards {
  for (const [k, v] of Object.entries(r)) {
    if (!(k in DEFAULT_EDIT_REWARDS)) throw new RangeError(`${EDIT_AGENT_ID}: unknown reward '${k}'; expected ${Object.keys(DEFAULT_EDIT_REWARDS).join(", ")}`);
    if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${EDIT_AGENT_ID}: reward ${k} must be a finite number, got ${JSON.stringify(v)}`);
  }
  return r;
}

// Files read once per process (a vector env of 16 copies reads train.jsonl once), re-read when they change.
const fileCache = new Map<string, { mtimeMs: number; size: number; tasks: EditTask[] }>();

function readCached(file: string): EditTask[] {
  const abs = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new RangeError(`${EDIT_AGENT_ID}: no task file ${abs}${/datasets[\\/]edit/.test(abs) ? " (make it with: npx tsrl run lib/envs/edit/generate.ts --out datasets/edit --seed 7)" : ""}`);
  }
  const hit = fileCache.get(abs);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.tasks;
  const tasks = readEditTasks(abs);
  fileCache.set(abs, { mtimeMs: stat.mtimeMs, size: stat.size, tasks });
  return tasks;
}

/** The path of a split's JSONL file: datasets/edit/<split>.jsonl. */
export function editSplitPath(split: EditSplit): string {
  if (!(EDIT_SPLITS as readonly string[]).includes(split)) throw new RangeError(`${EDIT_AGENT_ID}: split must be one of ${EDIT_SPLITS.map((s) => JSON.stringify(s)).join(", ")}, got ${JSON.stringify(split)}`);
  return datasetsDir("edit", `${split}.jsonl`);
}

/** The tasks env options name: `tasks` (an array, checked, or a JSONL path) or `split` (default "train"). */
export function resolveEditTasks(options: Pick<EditAgentOptions, "tasks" | "split"> = {}): readonly EditTask[] {
  if (options.tasks !== undefined && options.split !== undefined) throw new RangeError(`${EDIT_AGENT_ID}: give tasks or split, not both`);
  let tasks: readonly EditTask[];
  if (typeof options.tasks === "string") tasks = readCached(options.tasks);
  else if (Array.isArray(options.tasks)) tasks = options.tasks.map((t, i) => checkEditTask(t, `${EDIT_AGENT_ID}: options.tasks[${i}]`));
  else if (options.tasks !== undefined) throw new RangeError(`${EDIT_AGENT_ID}: tasks must be an array of task records or the path of a JSONL file, got ${JSON.stringify(options.tasks)}`);
  else tasks = readCached(editSplitPath(options.split ?? "train"));
  if (tasks.length === 0) throw new RangeError(`${EDIT_AGENT_ID}: no tasks${typeof options.tasks === "string" ? ` in ${options.tasks}` : ""}`);
  return tasks;
}

/**
 * A GRPO group's shared start (the env registry's `groupStart`): one task index, drawn once, for
 * all K episodes of the group — the group then compares K attempts at the same task.
 */
export function editAgentGroupStart(rng: Rng, options: EditAgentOptions = {}): { taskIndex: number } {
  return { taskIndex: rng.int(resolveEditTasks(options).length) };
}
