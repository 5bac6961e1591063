/**
 * The Tic-Tac-Toe tab: reward sliders and the algorithm's knobs → Train / Stop with live
 * win/draw/loss curves; Evaluate (tables and the exhaustive check); Play (click a cell, the agent
 * answers, its probabilities as a heat map); checkpoints.
 */
import { post } from "./api.js";
import { drawTttCurves } from "./charts.js";
import { initCheckpoints } from "./checkpoints.js";
import { startRun, stopRun, type TabHooks } from "./runs.js";
import { isActive, type FullRun, type Row } from "./types.js";
import { $, fillInputs, h, input, numberOf, pct, showBanner, table } from "./ui.js";

const SLIDERS = [
  { name: "win", label: "win", min: -2, max: 2, step: 0.1, value: 1 },
  { name: "draw", label: "draw", min: -2, max: 2, step: 0.1, value: 0 },
  { name: "loss", label: "loss", min: -2, max: 2, step: 0.1, value: -1 },
  { name: "centerBonus", label: "centre bonus", min: -1, max: 1, step: 0.05, value: 0 },
  { name: "forkBonus", label: "fork bonus", min: -1, max: 1, step: 0.05, value: 0 },
  { name: "illegalPenalty", label: "illegal-move penalty", min: -2, max: 0, step: 0.1, value: -1 },
];

const TTT_KINDS = ["ttt-train", "ttt-evaluate"];
const CELL_NAMES = ["top left", "top", "top right", "left", "centre", "right", "bottom left", "bottom", "bottom right"];

interface Game {
  /** Counts games: an answer that arrives after a new game started is dropped. */
  id: number;
  board: number[];
  you: "X" | "O";
  over: boolean;
  busy: boolean;
  line: number[] | null;
  last: number | null;
}

export function initTtt(): TabHooks {
  // --- controls ---
  const sliders = $("ttt-sliders");
  for (const s of SLIDERS) {
    const range = h("input", { type: "range", id: `ttt-slider-${s.name}`, "data-testid": `ttt-slider-${s.name}`, min: String(s.min), max: String(s.max), step: String(s.step), value: String(s.value) }) as HTMLInputElement;
    const out = h("output", { for: range.id }, String(s.value));
    range.addEventListener("input", () => (out.textContent = range.value));
    sliders.append(h("label", { class: "slider" }, h("span", {}, s.label), range, out));
  }
  const algorithm = $("ttt-algorithm") as HTMLSelectElement;
  const showKnobs = () => ($("ttt-grpo-knobs").hidden = algorithm.value !== "grpo");
  algorithm.addEventListener("change", showKnobs);
  showKnobs();

  $("ttt-train").addEventListener("click", async () => {
    const rewards = Object.fromEntries(SLIDERS.map((s) => [s.name, Number(input(`ttt-slider-${s.name}`).value)]));
    const button = $("ttt-train") as HTMLButtonElement;
    button.disabled = true; // a double click starts one run; the second would be refused anyway
    try {
      await startRun("/api/ttt/train", {
        algorithm: algorithm.value, rewards, seed: numberOf("ttt-seed"), updates: numberOf("ttt-updates"), evalEvery: numberOf("ttt-eval-every"),
        groupSize: numberOf("ttt-K"), topM: numberOf("ttt-m"), lr: numberOf("ttt-lr"), weightDecay: numberOf("ttt-l2"),
      });
    } finally {
      button.disabled = false;
    }
  });
  $("ttt-stop").addEventListener("click", () => void stopRun(TTT_KINDS));
  $("ttt-evaluate").addEventListener("click", () => void startRun("/api/ttt/evaluate", { games: numberOf("ttt-games") }));

  // --- play ---
  const game: Game = { id: 0, board: Array(9).fill(0), you: "X", over: true, busy: false, line: null, last: null };
  const boardEl = $("ttt-board"), heatEl = $("ttt-heat"), status = $("ttt-status");
  const cells = Array.from({ length: 9 }, (_, i) => {
    const b = h("button", { "data-testid": `ttt-cell-${i}`, "aria-label": `cell ${i} (${CELL_NAMES[i]})` }) as HTMLButtonElement;
    b.addEventListener("click", () => void humanMove(i));
    boardEl.append(b);
    return b;
  });
  const heat = Array.from({ length: 9 }, () => {
    const d = h("div");
    heatEl.append(d);
    return d;
  });
  const mark = (v: number) => (v === 1 ? "X" : v === -1 ? "O" : "");
  const render = () => {
    cells.forEach((c, i) => {
      c.textContent = mark(game.board[i]);
      c.classList.toggle("win", game.line?.includes(i) ?? false);
      c.classList.toggle("last", game.last === i);
      c.disabled = game.over || game.busy || game.board[i] !== 0;
    });
  };
  const showHeat = (board: readonly number[], probs: readonly number[] | null) => {
    heat.forEach((d, i) => {
      if (board[i] !== 0 || !probs) {
        d.textContent = mark(board[i]);
        d.style.background = d.style.color = "";
        d.className = "taken";
        return;
      }
      d.className = "";
      d.textContent = pct(probs[i]);
      d.style.background = `rgba(9, 105, 218, ${Math.min(1, 0.08 + probs[i]).toFixed(3)})`;
      d.style.color = probs[i] > 0.5 ? "white" : "";
    });
  };
  const ending = (outcome: string, line: number[] | null) => {
    game.over = true;
    const cellsText = line ? ` (cells ${line.join("–")})` : "";
    status.textContent = outcome === "draw" ? "A draw." : outcome === game.you ? `You win${cellsText}!` : `The agent wins${cellsText}.`;
    status.className = `status ${outcome === "draw" ? "draw" : outcome === game.you ? "won" : "lost"}`;
  };
  let pending: number | null = null; // the person's move the agent is answering
  const agentMove = async () => {
    const id = game.id;
    game.busy = true;
    render();
    try {
      const before = [...game.board];
      const r = await post<{ board: number[]; move: number | null; probs: number[] | null; outcome: string | null; line: number[] | null; source: string | null }>("/api/ttt/move", { board: game.board, you: game.you });
      if (id !== game.id) return; // a new game started meanwhile
      game.board = r.board;
      game.line = r.line;
      if (r.move !== null) {
        game.last = r.move;
        showHeat(before, r.probs);
        $("ttt-agent").textContent = r.source ? `Agent: ${r.source}` : "";
      }
      if (r.outcome) ending(r.outcome, r.line);
      else {
        status.textContent = `The agent played ${CELL_NAMES[r.move ?? 0]} (cell ${r.move}). Your move — you are ${game.you}.`;
        status.className = "status";
      }
    } catch (err) {
      if (id !== game.id) return;
      status.textContent = (err as Error).message;
      status.className = "status error";
      if (pending !== null) game.board[pending] = 0; // the agent could not answer: take the move back, so the game can go on once it can
      else game.over = true; // it could not open a game as X
    } finally {
      if (id === game.id) {
        pending = null;
        game.busy = false;
        render();
      }
    }
  };
  const humanMove = async (i: number) => {
    if (game.over || game.busy || game.board[i] !== 0) return;
    game.board[i] = game.you === "X" ? 1 : -1;
    game.last = i;
    pending = i;
    await agentMove();
  };
  const newGame = (you: "X" | "O") => {
    Object.assign(game, { id: game.id + 1, board: Array(9).fill(0), you, over: false, busy: false, line: null, last: null });
    pending = null;
    showHeat(game.board, null);
    status.className = "status";
    status.textContent = you === "X" ? "Your move — you are X (you start)." : "The agent (X) starts…";
    render();
    if (you === "O") void agentMove();
  };
  $("ttt-new-x").addEventListener("click", () => newGame("X"));
  $("ttt-new-o").addEventListener("click", () => newGame("O"));
  render();
  showHeat(game.board, null);

  const checkpoints = initCheckpoints("ttt");

  // --- run state ---
  let restored = false; // the controls show the settings of the training run the page found on load
  const restore = (settings: Record<string, unknown>) => {
    if (restored) return;
    restored = true;
    const rewards = (settings.rewards ?? {}) as Record<string, number>;
    fillInputs({
      "ttt-algorithm": settings.algorithm, "ttt-K": settings.groupSize, "ttt-m": settings.topM, "ttt-l2": settings.weightDecay, "ttt-lr": settings.lr,
      "ttt-updates": settings.updates, "ttt-eval-every": settings.evalEvery, "ttt-seed": settings.seed,
      ...Object.fromEntries(SLIDERS.map((sl) => [`ttt-slider-${sl.name}`, rewards[sl.name]])),
    });
  };
  let chartRun = 0;
  const progress = $("ttt-progress") as HTMLProgressElement;
  return {
    onState(state, rows) {
      const run = state.run;
      $("ttt-agent").textContent = state.agents.ttt ? `Agent: ${state.agents.ttt.source} (${state.agents.ttt.algorithm})` : "No agent yet: press Train, or load a checkpoint.";
      if (run && run.tab === "ttt" && (run.kind === "ttt-train" || run.kind === "load") && run.id >= chartRun) {
        chartRun = run.id;
        void drawTttCurves($("ttt-chart"), rows);
      }
      if (run?.kind === "ttt-train") restore(run.settings);
      restored = true; // only the first state may restore: later the controls are the person's
      if (run && run.tab === "ttt" && run.progress && isActive(run)) {
        progress.max = Math.max(1, run.progress.total);
        progress.value = Math.min(run.progress.done, progress.max);
        const fields = Object.entries(run.progress.fields).map(([k, v]) => `${k} ${v}`).join(" · ");
        $("ttt-progress-text").textContent = `${run.kind === "ttt-train" ? "training" : run.kind === "load" ? "loading" : "evaluating"}: ${run.progress.done} / ${run.progress.total} ${run.progress.unit} · ${run.status}${fields ? ` · ${fields}` : ""}`;
      }
      ($("ttt-train") as HTMLButtonElement).classList.toggle("busy", isActive(run));
      checkpoints.onState(state);
    },
    onResult(run) {
      if (run.tab !== "ttt") return;
      if ((run.kind === "ttt-train" || run.kind === "load") && run.id >= chartRun) {
        chartRun = run.id;
        void drawTttCurves($("ttt-chart"), run.rows);
      }
      if (run.kind === "ttt-train") {
        restore(run.settings);
        trainingEnded(run);
      }
      if (run.kind === "ttt-evaluate") {
        showEvaluation(run);
        $("ttt-progress-text").textContent = `Evaluation ${run.status}${run.error ? `: ${run.error}` : ""}.`;
      }
      if (run.kind === "load") $("ttt-progress-text").textContent = run.status === "done" ? "Checkpoint loaded." : `Loading ${run.status}.`;
      progress.value = run.status === "done" ? progress.max : progress.value;
      if (run.status === "failed") showBanner(`Run ${run.id} failed: ${run.error}`);
      checkpoints.onResult(run);
    },
  };
}

function trainingEnded(run: FullRun): void {
  const r = run.result as { stopped?: string; updates?: number; solved?: boolean } | undefined;
  const text = $("ttt-progress-text");
  if (run.status === "stopped") text.textContent = `Stopped after ${run.rows.length} updates; the agent keeps what it learned.`;
  else if (run.status === "done" && r) text.textContent = r.stopped === "solved" ? `Solved after ${r.updates} updates: the exhaustive check finds no game it can lose.` : `Done: ${r.updates} updates${r.solved ? ", never loses" : ""}.`;
}

interface Evaluation {
  games: number;
  matches: { opponent: string; side: string; games: number; wins: number; draws: number; losses: number }[];
  exhaustive: { side: string; games: number; wins: number; draws: number; losses: number; losingGames: number[][] }[];
  neverLoses: boolean;
  source: string;
}

function showEvaluation(run: FullRun): void {
  const out = $("ttt-eval");
  if (run.status !== "done") {
    out.replaceChildren(h("p", { class: "hint" }, `Evaluation ${run.status}${run.error ? `: ${run.error}` : ""}.`));
    return;
  }
  const e = run.result as Evaluation;
  const matches = table([
    ["opponent", "agent plays", "games", "won", "drawn", "lost"],
    ...e.matches.map((m) => [m.opponent, m.side, m.games, pct(m.wins / m.games), pct(m.draws / m.games), pct(m.losses / m.games)]),
  ], { "data-testid": "ttt-eval-table" });
  const exhaustive = table([
    ["exhaustive check", "games any opponent can force", "won", "drawn", "lost"],
    ...e.exhaustive.map((x) => [`as ${x.side}`, x.games, x.wins, x.draws, x.losses]),
  ], { "data-testid": "ttt-exhaustive-table" });
  const verdict = h("p", { class: e.neverLoses ? "verdict good" : "verdict bad", "data-testid": "ttt-verdict" },
    e.neverLoses ? "✓ Never loses: no opponent, however clever or lucky, can beat it as X or as O." : `✗ Can lose: ${e.exhaustive.map((x) => `${x.losses} losing games as ${x.side}`).join(", ")}${losingExample(e)}`);
  out.replaceChildren(h("p", { class: "hint" }, `${e.source}; greedy moves.`), matches, exhaustive, verdict);
}

function losingExample(e: Evaluation): string {
  const x = e.exhaustive.find((x) => x.losingGames.length > 0);
  return x ? ` (e.g. as ${x.side}: cells ${x.losingGames[0].join(", ")}, X first)` : "";
}
