/**
 * Numbers that must stay finite. A run whose loss or weights become NaN or ±∞ has diverged (too
 * large a learning rate, an exploding gradient): everything after is noise, and weights written
 * then would poison every later load. Training stops at the first non-finite quantity with a
 * NonFiniteError that names it (`update 4: loss is NaN`), savers refuse non-finite tensors and
 * loaders reject them by name (lib/data/checkpoint, lib/nn/gpt2/load).
 */

/** A quantity that should be a finite number is not; the message names it (and the update, when known). */
export class NonFiniteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NonFiniteError";
  }
}

export function isNonFiniteError(err: unknown): err is NonFiniteError {
  return err instanceof Error && err.name === "NonFiniteError";
}

/** The first entry of `values` that is NaN or ±∞, as [name, value]; undefined when all are finite. */
export function firstNonFinite(values: Record<string, number>): [string, number] | undefined {
  for (const [name, v] of Object.entries(values)) if (!Number.isFinite(v)) return [name, v];
  return undefined;
}

/** The first non-finite value of a tensor, as its index; -1 when every value is finite. One pass, no allocation. */
export function nonFiniteIndex(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x !== 0) return i; // NaN − NaN and ∞ − ∞ are NaN; every finite x − x is 0
  }
  return -1;
}

/** "NaN" / "Infinity" / "-Infinity" of a value, with how many of `data`'s values are not finite. */
export function describeNonFinite(data: ArrayLike<number>, first: number): string {
  let count = 0;
  for (let i = first; i < data.length; i++) if (data[i] - data[i] !== 0) count++;
  return `${data[first]} at index ${first}${count > 1 ? ` (${count} of ${data.length} values are not finite)` : ""}`;
}
