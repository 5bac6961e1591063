/**
 * `TSRL_QUICK=1` (set by the tests and CI) asks long cells and commands for a small budget:
 * `budget(full, quick)` returns the one that applies, so a notebook reads
 * `episodes: budget(1500, 60)` and the full number stays visible to the reader.
 */
export function isQuick(): boolean {
  const v = process.env.TSRL_QUICK;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

export function budget<T>(full: T, quick: T): T {
  return isQuick() ? quick : full;
}
