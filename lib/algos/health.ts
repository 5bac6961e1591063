/**
 * Training health: a monitor over any trainer's metric rows that names what is going wrong.
 *
 *   warning            reads (first column present)               raised when
 *   nonFinite          loss, policyLoss, gradNorm, kl, approxKl,   a value is NaN or ±∞             unhealthy
 *                      entropy (a warm-start row: warmStartLoss)
 *   zeroRewardSpread   fracZeroStd (groupStd = 0 counts as 1)      ≥ zeroSpread of the groups agree,
 *                                                                  `window` rows running: no signal  warn
 *   klAboveBound       kl, approxKl, refKl                         KL > klBound                     unhealthy
 *   klJump             the same                                    KL > klJump × its median so far
 *                                                                  (and > klBound / 10)             warn
 *   entropyCollapse    entropy                                     < entropyFloor × the first row's  warn
 *   clipFractionHigh   clipRegion, clipFrac                        > clipFraction                   warn
 *   gradNormSpike      gradNorm                                    > gradSpike × its median so far   warn
 *   rewardHacking      reward | return | trainReturn, and          train reward up by ≥ hackingRise
 *                      heldoutSuccess | evalReturn                 while the held-out score has not
 *                                                                  risen (last two evaluations)     warn
 *
 * PPO and actor-critic log approxKl / clipFrac / entropy / gradNorm, GRPO (episodic, LM, episodes)
 * kl / refKl / fracZeroStd / clipRegion, so one monitor serves every trainer: feed it rows as they
 * come (`observe`, e.g. from `train({ onUpdate })`), read `warnings`, stop on `unhealthy`.
 * `watchHealth(opts)` wires it into a train() call: new warnings to a callback, and an abort when
 * one is unhealthy and `stopOnUnhealthy` is set.
 */
import type { BaseRow, TrainOptions } from "./agent";

export const HEALTH_WARNINGS = ["nonFinite", "zeroRewardSpread", "klAboveBound", "klJump", "entropyCollapse", "clipFractionHigh", "gradNormSpike", "rewardHacking"] as const;
export type HealthWarningName = (typeof HEALTH_WARNINGS)[number];

export interface HealthWarning {
  name: HealthWarningName;
  /** The row's `update` (or its index + 1). */
  update: number;
  column: string;
  value: number;
  severity: "warn" | "unhealthy";
  message: string;
}

export interface HealthThresholds {
  /** Share of groups with zero reward spread that counts as no signal. */
  zeroSpread: number;
  /** Rows in a row the zero spread must last. */
  window: number;
  klBound: number;
  klJump: number;
  entropyFloor: number;
  clipFraction: number;
  gradSpike: number;
  hackingRise: number;
}

export const DEFAULT_HEALTH: Readonly<HealthThresholds> = Object.freeze({
  zeroSpread: 0.9, window: 5, klBound: 0.5, klJump: 10, entropyFloor: 0.2, clipFraction: 0.3, gradSpike: 10, hackingRise: 0.2,
});

export interface HealthMonitor {
  readonly thresholds: Readonly<HealthThresholds>;
  /** Every warning raised so far (each name at most once per update). */
  readonly warnings: readonly HealthWarning[];
  /** The new warnings of this row. */
  observe(row: Record<string, unknown>): HealthWarning[];
  /** "unhealthy" once any unhealthy warning was raised. */
  status(): "healthy" | "warned" | "unhealthy";
  /** Counts by name, for a summary line. */
  counts(): Partial<Record<HealthWarningName, number>>;
}

const first = (row: Record<string, unknown>, cols: readonly string[]): [string, number] | undefined => {
  for (const c of cols) if (typeof row[c] === "number") return [c, row[c] as number];
  return undefined;
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export function createHealthMonitor(thresholds: Partial<HealthThresholds> = {}): HealthMonitor {
  const t: HealthThresholds = { ...DEFAULT_HEALTH, ...Object.fromEntries(Object.entries(thresholds).filter(([, v]) => v !== undefined)) };
  for (const [k, v] of Object.entries(t)) if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) throw new RangeError(`health threshold ${k} must be a finite number ≥ 0, got ${JSON.stringify(v)}`);
  const warnings: HealthWarning[] = [];
  const kls: number[] = [], grads: number[] = [], rewards: number[] = [], heldout: { reward: number; score: number }[] = [];
  let entropy0: number | undefined, zeroRun = 0, rows = 0;

  return {
    thresholds: t,
    warnings,
    observe(row) {
      rows++;
      const update = typeof row.update === "number" ? row.update : rows;
      const out: HealthWarning[] = [];
      const raise = (name: HealthWarningName, column: string, value: number, severity: HealthWarning["severity"], message: string) => {
        if (!out.some((w) => w.name === name)) out.push({ name, update, column, value, severity, message });
      };
      // the update's own numbers: never NaN in a sound run (a return is NaN when no episode ended, so it is not checked)
      // a behaviour-cloning warm-start row (GRPO's warmStartLoss) has no policy-gradient update: its
      // loss, gradNorm, … are NaN by construction, and the cloning loss is the number to check
      const cloning = typeof row.warmStartLoss === "number" && !Number.isNaN(row.warmStartLoss);
      for (const c of cloning ? ["warmStartLoss"] : ["loss", "policyLoss", "gradNorm", "kl", "approxKl", "entropy"]) {
        const v = row[c];
        if (typeof v === "number" && !Number.isFinite(v)) raise("nonFinite", c, v, "unhealthy", `${c} is ${v}`);
      }
      const zero = first(row, ["fracZeroStd"]) ?? (typeof row.groupStd === "number" ? ["groupStd", row.groupStd === 0 ? 1 : 0] as [string, number] : undefined);
      if (zero && Number.isFinite(zero[1])) {
        zeroRun = zero[1] >= t.zeroSpread ? zeroRun + 1 : 0;
        if (zeroRun >= t.window) raise("zeroRewardSpread", zero[0], zero[1], "warn", `${Math.round(zero[1] * 100)}% of groups have one reward for every episode, ${zeroRun} rows running: no advantage, no learning signal`);
      }
      const kl = first(row, ["kl", "approxKl", "refKl"]);
      if (kl && Number.isFinite(kl[1])) {
        if (kl[1] > t.klBound) raise("klAboveBound", kl[0], kl[1], "unhealthy", `${kl[0]} ${kl[1].toPrecision(3)} > bound ${t.klBound}: the policy has left the region its samples describe`);
        const m = median(kls);
        if (kls.length >= 3 && kl[1] > t.klJump * m && kl[1] > t.klBound / 10) raise("klJump", kl[0], kl[1], "warn", `${kl[0]} ${kl[1].toPrecision(3)} jumped to ${(kl[1] / m).toFixed(0)}× its median ${m.toPrecision(2)}`);
        kls.push(kl[1]);
      }
      const ent = first(row, ["entropy"]);
      if (ent && Number.isFinite(ent[1])) {
        if (entropy0 === undefined) entropy0 = ent[1];
        else if (entropy0 > 0 && ent[1] < t.entropyFloor * entropy0) raise("entropyCollapse", ent[0], ent[1], "warn", `entropy ${ent[1].toPrecision(3)} < ${t.entropyFloor} × its start ${entropy0.toPrecision(3)}: the policy stopped exploring`);
      }
      const clip = first(row, ["clipRegion", "clipFrac"]);
      if (clip && clip[1] > t.clipFraction) raise("clipFractionHigh", clip[0], clip[1], "warn", `${clip[0]} ${clip[1].toFixed(2)} > ${t.clipFraction}: most of the update is clipped (steps too large)`);
      const g = first(row, ["gradNorm"]);
      if (g && Number.isFinite(g[1])) {
        const m = median(grads);
        if (grads.length >= 3 && m > 0 && g[1] > t.gradSpike * m) raise("gradNormSpike", g[0], g[1], "warn", `gradNorm ${g[1].toPrecision(3)} is ${(g[1] / m).toFixed(0)}× its median ${m.toPrecision(3)}`);
        grads.push(g[1]);
      }
      const r = first(row, ["reward", "return", "trainReturn"]);
      if (r && Number.isFinite(r[1])) rewards.push(r[1]);
      const h = first(row, ["heldoutSuccess", "evalReturn"]);
      if (h && Number.isFinite(h[1]) && rewards.length) {
        const recent = rewards.slice(-5), reward = recent.reduce((a, b) => a + b, 0) / recent.length;
        heldout.push({ reward, score: h[1] });
        if (heldout.length >= 3) {
          const a = heldout[0], b = heldout.at(-2)!, c = heldout.at(-1)!;
          const rise = c.reward - a.reward, scale = Math.max(Math.abs(a.reward), 1);
          if (rise >= t.hackingRise * scale && c.score <= a.score && b.score <= a.score) {
            raise("rewardHacking", h[0], h[1], "warn", `training reward rose ${rise.toFixed(3)} while ${h[0]} stayed at ${c.score.toFixed(3)} (from ${a.score.toFixed(3)}): the reward is being gamed, or does not measure the task`);
          }
        }
      }
      warnings.push(...out);
      return out;
    },
    status() {
      return warnings.some((w) => w.severity === "unhealthy") ? "unhealthy" : warnings.length ? "warned" : "healthy";
    },
    counts() {
      const c: Partial<Record<HealthWarningName, number>> = {};
      for (const w of warnings) c[w.name] = (c[w.name] ?? 0) + 1;
      return c;
    },
  };
}

/**
 * `opts` for train() with the monitor watching every row: `onWarning` gets new warnings, and with
 * `stopOnUnhealthy` the run is aborted after the row that made it unhealthy (train() then returns
 * `stopped: "aborted"` under `onAbort: "return"`; the agent keeps what it learned).
 */
export function watchHealth<R extends BaseRow>(opts: TrainOptions<R>, monitor: HealthMonitor, o: { stopOnUnhealthy?: boolean; onWarning?: (w: HealthWarning) => void } = {}): TrainOptions<R> & { healthStop: AbortController } {
  const healthStop = new AbortController();
  const signal = opts.signal ? anySignal([opts.signal, healthStop.signal]) : healthStop.signal;
  return {
    ...opts,
    signal,
    healthStop,
    onUpdate: (row) => {
      opts.onUpdate?.(row);
      for (const w of monitor.observe(row as unknown as Record<string, unknown>)) o.onWarning?.(w);
      if (o.stopOnUnhealthy && monitor.status() === "unhealthy" && !healthStop.signal.aborted) healthStop.abort(new Error("stopped: training unhealthy"));
    },
  };
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  const c = new AbortController();
  for (const s of signals) {
    if (s.aborted) c.abort(s.reason);
    else s.addEventListener("abort", () => c.abort(s.reason), { once: true });
  }
  return c.signal;
}

/** One line per warning, for stderr and notebooks. */
export function formatWarning(w: HealthWarning): string {
  return `${w.severity === "unhealthy" ? "UNHEALTHY" : "warning"} [${w.name}] update ${w.update}: ${w.message}`;
}
