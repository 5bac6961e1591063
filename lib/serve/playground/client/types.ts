/** What the playground's API answers (lib/serve/playground/routes.ts), as the page reads it. */

export type Row = Record<string, number | null>;

export interface RunView {
  id: number;
  kind: string;
  tab: string;
  settings: Record<string, unknown>;
  status: "running" | "stopping" | "done" | "stopped" | "failed";
  started: number;
  ended: number | null;
  progress: { done: number; total: number; unit: string; fields: Record<string, string> } | null;
  rowCount: number;
  error: string | null;
}

export interface FullRun extends RunView {
  rows: Row[];
  result: unknown;
}

export interface StateView {
  run: RunView | null;
  rows: Row[];
  agents: Record<"ttt" | "edit", { source: string; algorithm: string } | null>;
  lastRuns: Record<string, { id: number; status: string }>;
}

export interface DiffSegment {
  kind: "same" | "insert" | "delete";
  text: string;
}

export const isActive = (run: RunView | null | undefined) => run?.status === "running" || run?.status === "stopping";
