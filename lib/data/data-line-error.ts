/**
 * The error every dataset reader throws for a malformed line: the message starts with `file:line:`,
 * so a user can open the file at the line. Here in lib/data (not beside one reader) because readers
 * in several layers share it: lib/lm's corpus and preference pairs, lib/envs/order-desk's tasks.
 */

/** Thrown for a malformed data line; the message starts with `file:line:`. */
export class DataLineError extends Error {
  constructor(readonly file: string, readonly line: number, problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = "DataLineError";
  }
}
