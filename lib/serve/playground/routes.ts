/**
 * The playground's API, mounted on the HTTP server of lib/serve/app.ts (so its auth, limits and
 * error shapes apply). Bodies are JSON (the server refuses any other type: a page on another
 * origin cannot post to it without a CORS preflight it never grants); GET routes change nothing.
 *
 *   GET  /api/state                 the run now (status, progress, rows since ?since=N of ?run=ID) and each tab's policy
 *   GET  /api/runs/:id              a run whole: settings, rows, result (the last run of each kind is kept)
 *   POST /api/runs/:id/stop         stop it (answered at once; the run ends "stopped" when the worker has aborted)
 *   POST /api/ttt/train             {algorithm, rewards, seed, updates, evalEvery, groupSize, topM, lr, weightDecay}
 *   POST /api/ttt/evaluate          {games}: tables against each opponent, as X and O, and the exhaustive check
 *   POST /api/ttt/move              {board, you}: the agent's answer, its probabilities, the outcome
 *   GET  /api/edit/tasks            ?split=&family=&offset=&limit=: browse datasets/edit
 *   POST /api/edit/train            {seed, warmStartSteps, updates, lr, evalEvery, evalGames}
 *   POST /api/edit/verify           {split}: per-family scores and every episode's diffs
 *   POST /api/edit/custom           {instruction, text}: steps, diff, understood
 *   GET  /api/lm/models             the GPT-2 models to pick from
 *   POST /api/lm/sample, /api/lm/train
 *   GET  /api/checkpoints?tab=      checkpoints in the runs folder for a tab
 *   POST /api/checkpoints/save      {tab, name, overwrite}; /api/checkpoints/load {tab, name}
 *
 * Errors are OpenAI's error object (lib/serve/http-errors.ts); a job asked for while another runs
 * is a 409 naming the run, a request the present state cannot answer (no agent yet, a checkpoint
 * name taken) a 409 saying what to do.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";
import { EDIT_AGENT_ID, resolveEditTasks } from "../../envs/edit/edit-agent";
import { diffText } from "../../envs/edit/distance";
import { EDIT_FAMILIES, EDIT_FAMILY_HELP, EDIT_SPLITS } from "../../envs/edit/tasks";
import { fromPointOfView, LINES, legalMask, outcome, toMove, type Mark } from "../../envs/tictactoe/rules";
import { parseRewardSpec } from "../../lm/reward-spec";
import { createRng } from "../../core/rng";
import { initBackend } from "../../nn/backend";
import { createEditHandler } from "../edit";
import { checkFields, RequestError } from "../request";
import { checkpointName, editSplitBody, editTrainBody, EDIT_DEFAULTS, gamesBody, isEditSplit, lmSampleBody, lmTrainBody, LM_DEFAULTS, moveBody, tabField, DEFAULT_REWARDS, TTT_DEFAULTS, tttTrainBody } from "./bodies";
import { checkpointProblem, listCheckpoints } from "./checkpoints";
import { createJobRunner, type JobRunner, type RunRecord } from "./jobs";
import { TTT_ID, type Job, type PolicySnapshot } from "./protocol";
import { policyOf, saveSnapshot, type SnapshotPolicy } from "./snapshot";

export interface PlaygroundOptions {
  /** Where checkpoints are listed, saved and loaded (runs/ of the checkout by default). */
  runsDir: string;
  log?: (text: string) => void;
}

/** A tab's current agent: its snapshot, its training log, and the policy built from it (lazily). */
interface TabAgent {
  snapshot: PolicySnapshot;
  metrics: Record<string, number | null>[];
  policy?: SnapshotPolicy;
}

const ENV_OF_TAB = { ttt: TTT_ID, edit: EDIT_AGENT_ID } as const;

export function registerPlaygroundRoutes(app: FastifyInstance, opts: PlaygroundOptions): JobRunner {
  const agents: Partial<Record<"ttt" | "edit", TabAgent>> = {};
  const keptRuns = new Map<string, RunRecord>(); // the last run of each kind, whole

  const tabOfEnv = (envId: string) => (envId === TTT_ID ? "ttt" : envId === EDIT_AGENT_ID ? "edit" : undefined);
  const runner = createJobRunner({
    log: opts.log,
    onSnapshot(run, snapshot) {
      const tab = tabOfEnv(snapshot.envId);
      if (!tab) return;
      agents[tab]?.policy?.dispose();
      agents[tab] = { snapshot, metrics: run.rows };
    },
    onEnd(run) {
      keptRuns.set(run.kind, run);
    },
  });

  const agentOf = (tab: "ttt" | "edit"): TabAgent & { policy: SnapshotPolicy } => {
    const a = agents[tab];
    if (!a) throw new ConflictError(tab === "ttt" ? "no Tic-Tac-Toe agent yet: press Train, or load a checkpoint" : "no edit agent yet: train one, or load a checkpoint (e.g. runs/grpo-EditAgent-v0-seed1 from notebook 05)");
    a.policy ??= policyOf(a.snapshot);
    return a as TabAgent & { policy: SnapshotPolicy };
  };

  const start = (reply: FastifyReply, job: Job, tab: string, settings: Record<string, unknown>) => {
    const run = runner.start(job, tab, settings);
    return reply.code(202).send(runView(run));
  };

  // --- runs ---------------------------------------------------------------------------------
  app.get<{ Querystring: { run?: string; since?: string } }>("/api/state", async (request) => {
    const latest = runner.latest();
    const since = Number(request.query.since ?? 0);
    const sameRun = latest !== undefined && String(latest.id) === request.query.run;
    return {
      run: latest ? runView(latest) : null,
      rows: latest ? latest.rows.slice(sameRun && Number.isInteger(since) && since >= 0 ? since : 0) : [],
      agents: Object.fromEntries((["ttt", "edit"] as const).map((tab) => [tab, agents[tab] ? { source: agents[tab]!.snapshot.source, algorithm: agents[tab]!.snapshot.algorithm } : null])),
      lastRuns: Object.fromEntries([...keptRuns].map(([kind, r]) => [kind, { id: r.id, status: r.status }])),
    };
  });
  app.get<{ Params: { id: string } }>("/api/runs/:id", async (request) => {
    const run = findRun(request.params.id);
    return { ...runView(run), rows: run.rows, result: run.result };
  });
  app.post<{ Params: { id: string } }>("/api/runs/:id/stop", async (request) => {
    const run = runner.stop(Number(findRun(request.params.id).id));
    return runView(run!);
  });
  const findRun = (id: string): RunRecord => {
    const latest = runner.latest();
    const run = latest && String(latest.id) === id ? latest : [...keptRuns.values()].find((r) => String(r.id) === id);
    if (!run) throw new NotFoundError(`no run ${id.slice(0, 20)} (the playground keeps the run going now and the last run of each kind)`);
    return run;
  };

  // --- Tic-Tac-Toe ---------------------------------------------------------------------------
  app.get("/api/ttt/defaults", async () => ({ ...TTT_DEFAULTS, rewards: DEFAULT_REWARDS }));
  app.post("/api/ttt/train", async (request, reply) => {
    const job = tttTrainBody(request.body);
    return start(reply, job, "ttt", { ...job });
  });
  app.post("/api/ttt/evaluate", async (request, reply) => {
    const games = gamesBody(request.body);
    const a = agentOf("ttt");
    return start(reply, { kind: "ttt-evaluate", games, policy: a.snapshot }, "ttt", { games, source: a.snapshot.source });
  });
  app.post("/api/ttt/move", async (request) => {
    const { board, you } = moveBody(request.body);
    const b = Int8Array.from(board);
    const x = board.filter((c) => c === 1).length, o = board.filter((c) => c === -1).length;
    if (x !== o && x !== o + 1) throw new RequestError(`board has ${x} X and ${o} O; X moves first, so X = O or O + 1`, "board");
    const done = outcome(b);
    if (done) return { board, move: null, probs: null, outcome: done, line: winningLine(b), source: null };
    const agentMark: Mark = you === "X" ? -1 : 1;
    if (toMove(b) !== agentMark) throw new RequestError(`it is ${you}'s move (yours), not the agent's`, "board");
    const a = agentOf("ttt");
    const mask = legalMask(b);
    const obs = fromPointOfView(b, agentMark);
    const move = a.policy.act(obs, { greedy: true, rng: createRng(0), mask });
    if (!mask[move]) throw new Error(`the agent chose cell ${move}, which is taken`);
    const probs = Array.from(a.policy.probs(obs, mask), (p) => Number(p.toFixed(4)));
    b[move] = agentMark;
    return { board: Array.from(b), move, probs, outcome: outcome(b) ?? null, line: winningLine(b), source: a.snapshot.source };
  });

  // --- edit agent ----------------------------------------------------------------------------
  app.get<{ Querystring: { split?: string; family?: string; offset?: string; limit?: string } }>("/api/edit/tasks", async (request) => {
    const q = request.query;
    const split = q.split ?? "train";
    if (!isEditSplit(split)) throw new RequestError(`split must be one of ${EDIT_SPLITS.join(", ")}, got ${JSON.stringify(split.slice(0, 40))}`, "split");
    const family = q.family ?? "all";
    if (family !== "all" && !(EDIT_FAMILIES as readonly string[]).includes(family)) throw new RequestError(`family must be all or one of ${EDIT_FAMILIES.join(", ")}`, "family");
    const offset = Math.max(0, Math.floor(Number(q.offset ?? 0)) || 0);
    const limit = Math.min(100, Math.max(1, Math.floor(Number(q.limit ?? 20)) || 20));
    const tasks = resolveEditTasks({ split }).filter((t) => family === "all" || t.family === family);
    return { split, family, total: tasks.length, offset, tasks: tasks.slice(offset, offset + limit).map((t) => ({ ...t, diff: diffText(t.source, t.target) })), families: EDIT_FAMILIES.map((f) => ({ name: f, help: EDIT_FAMILY_HELP[f] })) };
  });
  app.get("/api/edit/defaults", async () => EDIT_DEFAULTS);
  app.post("/api/edit/train", async (request, reply) => {
    const job = editTrainBody(request.body);
    return start(reply, job, "edit", { ...job });
  });
  app.post("/api/edit/verify", async (request, reply) => {
    const split = editSplitBody(request.body);
    const a = agentOf("edit");
    return start(reply, { kind: "edit-verify", split, policy: a.snapshot }, "edit", { split, source: a.snapshot.source });
  });
  app.post("/api/edit/custom", async (request) => {
    checkFields(request.body, ["instruction", "text"], '{"instruction": "...", "text": "..."}');
    await initBackend({ quiet: true }); // the edit agent's network runs on tfjs (here, on the main thread: one edit is milliseconds)
    const a = agentOf("edit");
    const answer = (await createEditHandler(a.policy)(request.body)) as { text: string; steps: string[]; stopped: boolean; understood?: boolean };
    const source = (request.body as { text: string }).text;
    return { ...answer, understood: answer.understood ?? true, diff: diffText(source, answer.text), source: a.snapshot.source };
  });

  // --- GPT-2 ---------------------------------------------------------------------------------
  const lmModels = () => {
    const trained = keptRuns.get("lm-train");
    const list = [{ key: "tiny", label: "tiny GPT-2, random weights (untrained)" }];
    for (const c of listCheckpoints(opts.runsDir, "gpt2")) list.push({ key: c.dir, label: `${c.name} (runs)` });
    const key = (trained?.result as { trained?: string } | undefined)?.trained;
    if (key) list.push({ key, label: `after GRPO run ${trained!.id} (this session)` });
    return list;
  };
  const checkLmJob = <J extends { model: string; reward: string }>(job: J): J => {
    if (!lmModels().some((m) => m.key === job.model)) throw new RequestError(`model ${JSON.stringify(job.model.slice(0, 100))} is not one of this playground's models (GET /api/lm/models lists them)`, "model");
    for (const s of parseRewardSpec(job.reward)) {
      if (s.kind !== "rules" && !isInside(path.resolve(opts.runsDir, s.dir), opts.runsDir)) throw new RequestError(`reward: ${s.kind}:${s.dir} must name a directory in the runs folder (${opts.runsDir})`, "reward");
    }
    return { ...job, reward: job.reward.replace(/(rm|hf):([^+]+)/g, (_m, kind: string, dir: string) => `${kind}:${path.resolve(opts.runsDir, dir.trim())}`) };
  };
  app.get("/api/lm/models", async () => ({ models: lmModels(), defaults: LM_DEFAULTS }));
  app.post("/api/lm/sample", async (request, reply) => {
    const job = checkLmJob(lmSampleBody(request.body));
    return start(reply, job, "lm", { ...job });
  });
  app.post("/api/lm/train", async (request, reply) => {
    const job = checkLmJob(lmTrainBody(request.body));
    return start(reply, job, "lm", { ...job });
  });

  // --- checkpoints ---------------------------------------------------------------------------
  app.get<{ Querystring: { tab?: string } }>("/api/checkpoints", async (request) => {
    const tab = tabField({ tab: request.query.tab });
    return { runsDir: opts.runsDir, checkpoints: listCheckpoints(opts.runsDir, ENV_OF_TAB[tab]) };
  });
  app.post("/api/checkpoints/save", async (request) => {
    const r = checkFields(request.body, ["tab", "name", "overwrite"], '{"tab": "ttt", "name": "my-agent"}');
    const tab = tabField(r);
    const name = checkpointName(r);
    if (r.overwrite !== undefined && typeof r.overwrite !== "boolean") throw new RequestError("overwrite must be true or false", "overwrite");
    const a = agentOf(tab);
    const dir = path.join(opts.runsDir, name);
    const problem = checkpointProblem(dir, r.overwrite === true);
    if (problem) throw new ConflictError(problem);
    return { dir: saveSnapshot(dir, a.snapshot, a.metrics, { overwrite: r.overwrite === true }), name, source: a.snapshot.source };
  });
  app.post("/api/checkpoints/load", async (request, reply) => {
    const r = checkFields(request.body, ["tab", "name"], '{"tab": "ttt", "name": "my-agent"}');
    const tab = tabField(r);
    const dir = path.join(opts.runsDir, checkpointName(r));
    if (!fs.existsSync(dir)) throw new NotFoundError(`no checkpoint ${path.basename(dir)} in ${opts.runsDir}`);
    return start(reply, { kind: "load", dir, envId: ENV_OF_TAB[tab] }, tab, { dir });
  });
  return runner;
}

/** The page's view of a run: everything but the rows and the result (fetched once, from /api/runs/:id). */
export function runView(run: RunRecord) {
  return { id: run.id, kind: run.kind, tab: run.tab, settings: run.settings, status: run.status, started: run.started, ended: run.ended ?? null, progress: run.progress ?? null, rowCount: run.rows.length, error: run.error ?? null };
}

/** The request cannot be done in the playground's present state (HTTP 409: the server's error handler reads statusCode). */
class ConflictError extends Error {
  readonly statusCode = 409;
}
class NotFoundError extends Error {
  readonly statusCode = 404;
}

function winningLine(board: ArrayLike<number>): number[] | null {
  const line = LINES.find(([a, b, c]) => board[a] !== 0 && board[a] === board[b] && board[b] === board[c]);
  return line ? [...line] : null;
}

function isInside(p: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), p);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}
