#!/usr/bin/env bash
# GRPO over OrderDesk-v0 episodes (lib/algos/grpo-episodes.ts), one run at a time, from the cached
# starting model runs/order-desk-gpt2 (lib/lm/order-desk-pretrain.ts): the balanced preset (group-mean
# baseline) with seeds 1-3, then seed 1 with each other baseline; STEPS (default 30) steps of 4 tasks x 8 episodes each,
# held-out success before and after on the first 100 tasks of datasets/order-desk/heldout.jsonl
# (temperature 1, seed 0), and `tsrl eval` of each result on the same tasks (it reproduces successAfter).
# Writes figs/order-desk-seeds.csv. From the repository root:
#   bash figs/order-desk-seeds.sh           (PARTS=seeds or PARTS=baselines for one of them)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${RUNS:-runs}
steps=${STEPS:-30}
parts=${PARTS:-seeds baselines}
row() { node -e '
  const [t, e] = process.argv.slice(1); const T = JSON.parse(t), E = JSON.parse(e);
  console.log([T.seed, T.config_baseline, T.stopped, T.steps, T.episodes, T.wallTime, T.successBefore, T.successAfter, E.successRate, T.validCallRateBefore, T.validCallRateAfter, T.meanTurnsBefore, T.meanTurnsAfter, T.rewardFirst, T.rewardLast, T.kl, T.health.status].join(","));
' "$1" "$2"; }
rows=("seed,baseline,stopped,steps,episodes,train_wall_s,success_before,success_after,eval_success,valid_calls_before,valid_calls_after,turns_before,turns_after,reward_first,reward_last,kl_last,health")
run() { # seed baseline
  local dir="$out/grpo-OrderDesk-v0-seed$1-$2"
  local t; t=$(node lib/cli/tsrl.cjs train grpo OrderDesk-v0 --seed "$1" --baseline "$2" --steps "$steps" --eval-tasks 100 --out "$dir" --overwrite --json --quiet)
  t=$(node -e 'const t = JSON.parse(process.argv[1]); t.config_baseline = process.argv[2]; console.log(JSON.stringify(t))' "$t" "$2")
  rows+=("$(row "$t" "$(node lib/cli/tsrl.cjs eval "$dir" --tasks datasets/order-desk/heldout.jsonl --episodes 100 --json)")")
  echo "seed $1, $2 done" >&2
}
if [[ " $parts " == *" seeds "* ]]; then for S in 1 2 3; do run "$S" group_mean; done; fi
if [[ " $parts " == *" baselines "* ]]; then for B in group_median global_mean value; do run 1 "$B"; done; fi
printf '%s\n' "${rows[@]}" > figs/order-desk-seeds.csv
