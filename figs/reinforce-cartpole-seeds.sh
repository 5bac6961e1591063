#!/usr/bin/env bash
# REINFORCE on CartPole-v1, seeds 1-5, one run at a time: train with the default config, then
# evaluate each checkpoint on 100 episodes (env seeds 0..99, which training never saw), greedy and
# sampled. Writes figs/reinforce-cartpole-seeds.csv. Run from the repository root:
#   bash figs/reinforce-cartpole-seeds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=${RUNS:-runs}
rows=()
for S in 1 2 3 4 5; do
  start=$(date +%s%N)
  train=$(node lib/cli/tsrl.cjs train reinforce CartPole-v1 --seed "$S" --out "$out/reinforce-seed$S" --json --quiet)
  command_wall=$(( ($(date +%s%N) - start) / 1000000 ))   # ms
  greedy=$(node lib/cli/tsrl.cjs eval "$out/reinforce-seed$S" --episodes 100 --json)
  sampled=$(node lib/cli/tsrl.cjs eval "$out/reinforce-seed$S" --episodes 100 --sample --json)
  rows+=("$(node -e '
    const [t, g, s, wall] = process.argv.slice(1);
    const T = JSON.parse(t), G = JSON.parse(g), S = JSON.parse(s);
    console.log([T.seed, T.stopped, T.episodes, T.envSteps, T.wallTime, (Number(wall) / 1000).toFixed(2), T.trainReturn, T.evalReturn,
      G.mean, G.std, G.min, S.mean, S.std, S.min].join(","));
  ' "$train" "$greedy" "$sampled" "$command_wall")")
  echo "seed $S done" >&2
done
{
  echo "seed,stopped,episodes,env_steps,train_wall_s,command_wall_s,train_return_last20,train_eval_greedy_mean,eval100_greedy_mean,eval100_greedy_std,eval100_greedy_min,eval100_sampled_mean,eval100_sampled_std,eval100_sampled_min"
  printf '%s\n' "${rows[@]}"
} > figs/reinforce-cartpole-seeds.csv
cat figs/reinforce-cartpole-seeds.csv
