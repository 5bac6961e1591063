import { editDistance } from "../core/schema";

/**
 * A small command-line parser: `--name value`, `--name=value`, boolean `--name` / `--no-name`,
 * positionals in order. Every flag is declared with a type and one line of help; anything else is
 * a `UsageError` (the CLI prints it and exits 2) that names the flag or value and what was expected.
 */

export type FlagType = "string" | "number" | "integer" | "boolean" | "integer-list";

export interface FlagSpec {
  /** kebab-case, without the dashes: "episodes-per-update". */
  name: string;
  type: FlagType;
  help: string;
  /** Shown in --help; the parser itself does not fill defaults (callers merge them). */
  default?: unknown;
  /** Allowed values of a string flag. */
  choices?: readonly string[];
  /** Old names of this flag: still accepted for one release, with a one-line warning; not shown in --help. */
  aliases?: readonly string[];
}

export interface CommandSpec {
  /** e.g. "tsrl train reinforce <env>" */
  usage: string;
  /** Names of the positional arguments, in order (all required). */
  positionals: readonly string[];
  flags: readonly FlagSpec[];
}

export interface ParsedArgs {
  positionals: string[];
  /** By flag name (kebab-case), only the flags given. */
  flags: Record<string, string | number | boolean | number[]>;
  help: boolean;
  /** One line per old flag name used (`--lr is now --learning-rate …`). */
  warnings: string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const byName = new Map(spec.flags.map((f) => [f.name, f]));
  const oldNames = new Map(spec.flags.flatMap((f) => (f.aliases ?? []).map((a) => [a, f] as const)));
  const out: ParsedArgs = { positionals: [], flags: {}, help: false, warnings: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") { out.help = true; continue; }
    if (arg === "--") { out.positionals.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith("--")) { out.positionals.push(arg); continue; }
    const eq = arg.indexOf("=");
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let flag = byName.get(name);
    if (!flag && name.startsWith("no-") && (byName.get(name.slice(3)) ?? oldNames.get(name.slice(3)))?.type === "boolean" && raw === undefined) {
      name = name.slice(3);
      flag = byName.get(name);
      raw = "false";
    }
    if (!flag && oldNames.has(name)) {
      flag = oldNames.get(name)!;
      out.warnings.push(`--${name} is now --${flag.name} (the old flag works until the next release)`);
      name = flag.name;
    }
    if (!flag) throw new UsageError(`unknown flag --${name}${suggest(name, byName, oldNames)}`);
    if (raw === undefined) {
      if (flag.type === "boolean") raw = "true";
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) raw = argv[++i];
      else throw new UsageError(`--${name} needs a value (${describeType(flag)})`);
    }
    out.flags[name] = parseValue(flag, raw);
  }
  if (!out.help) {
    if (out.positionals.length < spec.positionals.length) {
      throw new UsageError(`missing <${spec.positionals[out.positionals.length]}>; usage: ${spec.usage}`);
    }
    if (out.positionals.length > spec.positionals.length) {
      throw new UsageError(`unexpected argument ${JSON.stringify(out.positionals[spec.positionals.length])}; usage: ${spec.usage}`);
    }
  }
  return out;
}

function parseValue(flag: FlagSpec, raw: string): string | number | boolean | number[] {
  const bad = () => new UsageError(`--${flag.name} ${JSON.stringify(raw)}: expected ${describeType(flag)}`);
  switch (flag.type) {
    case "string":
      if (flag.choices && !flag.choices.includes(raw)) throw bad();
      return raw;
    case "number": {
      const v = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(v)) throw bad();
      return v;
    }
    case "integer": {
      const v = Number(raw);
      if (raw.trim() === "" || !Number.isInteger(v)) throw bad();
      return v;
    }
    case "boolean":
      if (["true", "1", "yes"].includes(raw)) return true;
      if (["false", "0", "no"].includes(raw)) return false;
      throw bad();
    case "integer-list": {
      const parts = raw.split(",").map((p) => Number(p.trim()));
      if (parts.length === 0 || parts.some((v) => !Number.isInteger(v) || v <= 0)) throw bad();
      return parts;
    }
  }
}

function describeType(flag: FlagSpec): string {
  if (flag.choices) return `one of ${flag.choices.join(" | ")}`;
  return { string: "a string", number: "a number", integer: "an integer", boolean: "true or false", "integer-list": "comma-separated positive integers, e.g. 64,64" }[flag.type];
}

/** " (did you mean --x?)" for near misses among the flags, or among their old names (then the current name is offered). */
function suggest(name: string, flags: ReadonlyMap<string, FlagSpec>, oldNames: ReadonlyMap<string, FlagSpec>): string {
  const near = (n: string) => n.includes(name) || name.includes(n) || editDistance(n, name) <= 2;
  const close = new Set([...flags.keys()].filter(near));
  for (const [old, flag] of oldNames) if (near(old)) close.add(flag.name);
  return close.size ? ` (did you mean ${[...close].map((c) => `--${c}`).join(", ")}?)` : "; see --help";
}

/**
 * Parses a verb's arguments the way every `tsrl` verb does: `--help` prints the help (exit 0), a
 * usage error prints `tsrl <verb>: <problem>` (exit 2); either way the exit code comes back instead
 * of the parsed arguments.
 */
export function parseCommand(verb: string, argv: readonly string[], spec: CommandSpec, summary: string): ParsedArgs | number {
  try {
    const parsed = parseArgs(argv, spec);
    for (const w of parsed.warnings) console.error(`tsrl ${verb}: ${w}`);
    if (!parsed.help) return parsed;
    console.log(formatHelp(spec, summary));
    return 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`tsrl ${verb}: ${err.message}`);
    return 2;
  }
}

export function formatHelp(spec: CommandSpec, summary?: string): string {
  const rows = spec.flags.map((f) => {
    const value = f.choices ? f.choices.join("|") : f.type === "integer-list" ? "list" : f.type;
    const left = `  --${f.name}${f.type === "boolean" ? "" : ` <${value}>`}`;
    const def =
      f.default === undefined || f.default === "" ? ""
      : f.type === "boolean" && f.default === true ? ` (default on; --no-${f.name} turns it off)`
      : ` (default ${Array.isArray(f.default) ? f.default.join(",") : String(f.default)})`;
    return `${left.padEnd(34)} ${f.help}${def}`;
  });
  return [`usage: ${spec.usage}`, ...(summary ? ["", summary] : []), "", "options:", ...rows, `${"  --help".padEnd(34)} show this help`].join("\n");
}

/** "episodesPerUpdate" → "episodes-per-update". */
export function kebab(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
