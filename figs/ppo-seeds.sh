#!/usr/bin/env bash
# PPO, several seeds, one run at a time, each env with its preset (lib/algos/ppo.ts, PPO_PRESETS):
# CartPole-v1 (rl-zoo's settings, 100k-step budget) until the last 100 episodes average 475
# (--target-return 475), and LunarLander-v3 (rl-zoo's settings + observation normalisation) for 1M steps;
# each checkpoint then evaluated greedily on 100 episodes (env seeds 0..99). Writes
# figs/ppo-cartpole-seeds.csv and figs/ppo-lunarlander-seeds.csv. From the repository root:
#   bash figs/ppo-seeds.sh                  (PARTS=cartpole or PARTS=lunarlander for one of them)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${RUNS:-runs}
parts=${PARTS:-cartpole lunarlander}
row() { node -e '
  const [t, e, wall] = process.argv.slice(1); const T = JSON.parse(t), E = JSON.parse(e);
  console.log([T.seed, T.stopped, T.envSteps, T.episodes, T.wallTime, (Number(wall) / 1000).toFixed(2), T.trainReturn, E.mean, E.std, E.min].join(","));
' "$1" "$2" "$3"; }
header="seed,stopped,env_steps,episodes,train_wall_s,command_wall_s,train_return_last100,eval100_greedy_mean,eval100_greedy_std,eval100_greedy_min"
if [[ " $parts " == *" cartpole "* ]]; then
cp=("$header")
for S in 1 2 3 4 5; do
  start=$(date +%s%N)
  t=$(node lib/cli/tsrl.cjs train ppo CartPole-v1 --seed "$S" --target-return 475 --out "$out/ppo-cartpole-seed$S" --json --quiet)
  wall=$(( ($(date +%s%N) - start) / 1000000 ))
  cp+=("$(row "$t" "$(node lib/cli/tsrl.cjs eval "$out/ppo-cartpole-seed$S" --episodes 100 --json)" "$wall")")
  echo "CartPole seed $S done" >&2
done
printf '%s\n' "${cp[@]}" > figs/ppo-cartpole-seeds.csv
fi
if [[ " $parts " == *" lunarlander "* ]]; then
ll=("$header")
for S in 1 2 3; do
  start=$(date +%s%N)
  t=$(node lib/cli/tsrl.cjs train ppo LunarLander-v3 --seed "$S" --out "$out/ppo-lunarlander-seed$S" --json --quiet)
  wall=$(( ($(date +%s%N) - start) / 1000000 ))
  ll+=("$(row "$t" "$(node lib/cli/tsrl.cjs eval "$out/ppo-lunarlander-seed$S" --episodes 100 --json)" "$wall")")
  echo "LunarLander seed $S done" >&2
done
printf '%s\n' "${ll[@]}" > figs/ppo-lunarlander-seeds.csv
fi
cat figs/ppo-*-seeds.csv
