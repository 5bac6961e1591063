/**
 * Config schemas: every field of an algorithm's config declared once — its kind, default, range and
 * one line of help — and everything else derived from that one declaration:
 *
 *   the TypeScript type        ConfigOf<typeof schema>
 *   the defaults               schema.defaults
 *   validation                 schema.parse(partial)  (throws ConfigError naming the field and what was expected)
 *   CLI flags and --help       schema.fields → lib/cli (flag name, type, choices, default, help)
 *
 * A field renamed keeps its old names as `aliases` for one release: configs, checkpoints'
 * config.json and CLI flags that use them still work, with a one-line deprecation warning.
 *
 * @example
 *   const schema = defineSchema("reinforce", {
 *     gamma: num(0.99, "discount factor", { min: 0, max: 1 }),
 *     baseline: choice(["none", "mean", "value"] as const, "value", "subtracted from G_t"),
 *   });
 *   type Config = ConfigOf<typeof schema>;          // { gamma: number; baseline: "none" | "mean" | "value" }
 *   schema.parse({ gamma: 1.5 })                     // ConfigError: reinforce config: gamma = 1.5, expected a number in [0, 1]
 */

export type FieldKind = "integer" | "number" | "boolean" | "string" | "choice" | "integer-list" | "json";

interface FieldBase<T> {
  readonly kind: FieldKind;
  readonly default: T;
  /** One line for `--help` and for the notebook's config table. */
  readonly help: string;
  /** CLI flag name when it differs from the kebab-case field name (e.g. maxEpisodes → "episodes"). */
  readonly flag?: string;
  /** Not a CLI flag (e.g. the env id, which is a positional argument). */
  readonly positional?: boolean;
  /** Old names of this field, still accepted (with a deprecation warning) for one release; their kebab-case forms are old CLI flags. */
  readonly aliases?: readonly string[];
}

export interface NumberField extends FieldBase<number> {
  readonly kind: "integer" | "number";
  readonly min?: number;
  readonly max?: number;
  /** The range excludes `min` itself (a learning rate must be > 0). */
  readonly minExclusive?: boolean;
}
export interface BooleanField extends FieldBase<boolean> { readonly kind: "boolean" }
export interface StringField extends FieldBase<string> { readonly kind: "string"; readonly nonEmpty?: boolean }
export interface ChoiceField<C extends string = string> extends FieldBase<C> { readonly kind: "choice"; readonly choices: readonly C[] }
export interface IntegerListField extends FieldBase<number[]> { readonly kind: "integer-list"; readonly minLength?: number }
/** A JSON object (environment options, say); the CLI passes it as a JSON string. */
export interface JsonField extends FieldBase<Record<string, unknown>> { readonly kind: "json" }

export type Field = NumberField | BooleanField | StringField | ChoiceField | IntegerListField | JsonField;
export type Fields = Record<string, Field>;

/** The value type a field declares. */
export type ValueOf<F> =
  F extends ChoiceField<infer C> ? C
  : F extends NumberField ? number
  : F extends BooleanField ? boolean
  : F extends StringField ? string
  : F extends IntegerListField ? number[]
  : F extends JsonField ? Record<string, unknown>
  : never;

export type ConfigOfFields<F extends Fields> = { -readonly [K in keyof F]: ValueOf<F[K]> };
export type ConfigOf<S extends ConfigSchema<Fields>> = ConfigOfFields<S["fields"]>;

type Extra = { flag?: string; positional?: boolean; aliases?: readonly string[] };

export const int = (d: number, help: string, range: { min?: number; max?: number } & Extra = {}): NumberField =>
  ({ kind: "integer", default: d, help, ...range });
export const num = (d: number, help: string, range: { min?: number; max?: number; minExclusive?: boolean } & Extra = {}): NumberField =>
  ({ kind: "number", default: d, help, ...range });
export const bool = (d: boolean, help: string, extra: Extra = {}): BooleanField => ({ kind: "boolean", default: d, help, ...extra });
export const str = (d: string, help: string, extra: Extra & { nonEmpty?: boolean } = {}): StringField => ({ kind: "string", default: d, help, ...extra });
export const choice = <const C extends string>(choices: readonly C[], d: NoInfer<C>, help: string, extra: Extra = {}): ChoiceField<C> =>
  ({ kind: "choice", choices, default: d, help, ...extra });
export const json = (d: Record<string, unknown>, help: string, extra: Extra = {}): JsonField => ({ kind: "json", default: d, help, ...extra });
export const intList = (d: number[], help: string, extra: Extra & { minLength?: number } = {}): IntegerListField =>
  ({ kind: "integer-list", default: d, help, minLength: 1, ...extra });

/** A config field is wrong: names the field, the value and what was expected. */
export class ConfigError extends RangeError {
  constructor(readonly schema: string, readonly field: string, message: string) {
    super(`${schema} config: ${message}`);
    this.name = "ConfigError";
  }
}

export interface ConfigSchema<F extends Fields> {
  /** e.g. "reinforce"; prefixes every error message. */
  readonly name: string;
  readonly fields: F;
  /** A fresh object of the defaults (lists copied). */
  readonly defaults: ConfigOfFields<F>;
  /** Defaults, then `partial`, validated; unknown fields are errors (with a suggestion); old names (aliases) are renamed, with a warning. */
  parse(partial?: Partial<ConfigOfFields<F>> | Record<string, unknown>): ConfigOfFields<F>;
  /** `partial` with old field names (aliases) replaced by the current ones, warning once about them; unknown names are left for parse to reject. */
  canonical(partial: Record<string, unknown>): Record<string, unknown>;
  /** One line per field: `name  default  help`, for `--help` and notebooks. */
  describe(): { field: string; kind: string; default: string; help: string }[];
}

export function defineSchema<F extends Fields>(name: string, fields: F): ConfigSchema<F> {
  const defaults = () => Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, copy(f.default)])) as ConfigOfFields<F>;
  const renamed = new Map<string, string>();
  for (const [key, f] of Object.entries(fields)) {
    for (const alias of f.aliases ?? []) {
      if (alias in fields || renamed.has(alias)) throw new Error(`${name} schema: alias '${alias}' of '${key}' names another field`);
      renamed.set(alias, key);
    }
  }
  const canonical = (partial: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const used: string[] = [];
    for (const [key, value] of Object.entries(partial)) {
      const to = renamed.get(key);
      if (to === undefined) {
        if (key in out && value !== undefined && show(out[key]) !== show(value)) throw new ConfigError(name, key, `${key} is given twice, under its old name too, with different values`);
        if (!(key in out) || value !== undefined) out[key] = value;
        continue;
      }
      if (value === undefined) continue;
      used.push(`${key} → ${to}`);
      if (to in out && out[to] !== undefined && show(out[to]) !== show(value)) throw new ConfigError(name, to, `${to} is given twice, also as '${key}' (its old name), with different values`);
      out[to] = value;
    }
    if (used.length) warnRenamed(name, used);
    return out;
  };
  return {
    name,
    fields,
    get defaults() {
      return defaults();
    },
    canonical,
    parse(partial = {}) {
      const out = defaults() as Record<string, unknown>;
      for (const [key, value] of Object.entries(canonical(partial))) {
        if (value === undefined) continue; // `{ lr: undefined }` means "the default", as in a spread of options
        const field = fields[key];
        if (!field) throw new ConfigError(name, key, `unknown field '${key}'${suggest(key, Object.keys(fields))}`);
        out[key] = field.kind === "json" && typeof value === "string" ? parseJson(value) : copy(value);
      }
      for (const [key, field] of Object.entries(fields)) {
        const problem = check(field, out[key]);
        if (problem) throw new ConfigError(name, key, `${key} = ${show(out[key])}, expected ${problem}`);
      }
      return out as ConfigOfFields<F>;
    },
    describe() {
      return Object.entries(fields).map(([field, f]) => ({ field, kind: describeKind(f), default: show(f.default), help: f.help }));
    },
  };
}

const warned = new Set<string>();

/** One line on stderr, once per process for the same renames: old names work for one more release. */
function warnRenamed(schema: string, used: readonly string[]): void {
  const line = `tsrl: ${schema} config: renamed ${used.join(", ")}; the old names are accepted until the next release`;
  if (warned.has(line)) return;
  warned.add(line);
  console.warn(line);
}

/** What the value must be, when it is not; undefined when it is fine. */
function check(field: Field, v: unknown): string | undefined {
  switch (field.kind) {
    case "integer":
    case "number": {
      const isInt = field.kind === "integer";
      const ok = typeof v === "number" && Number.isFinite(v) && (!isInt || Number.isInteger(v))
        && (field.min === undefined || (field.minExclusive ? v > field.min : v >= field.min))
        && (field.max === undefined || v <= field.max);
      return ok ? undefined : describeKind(field);
    }
    case "boolean":
      return typeof v === "boolean" ? undefined : "true or false";
    case "string":
      return typeof v === "string" && (!field.nonEmpty || v.length > 0) ? undefined : field.nonEmpty ? "a non-empty string" : "a string";
    case "choice":
      return typeof v === "string" && field.choices.includes(v) ? undefined : describeKind(field);
    case "integer-list":
      return Array.isArray(v) && v.length >= (field.minLength ?? 0) && v.every((x) => Number.isInteger(x) && x > 0) ? undefined : describeKind(field);
    case "json":
      return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof InvalidJson) ? undefined : describeKind(field);
  }
}

/** A string that did not parse as JSON: kept so the error can show it. */
class InvalidJson {
  constructor(readonly text: string, readonly problem: string) {}
  toJSON() {
    return `${this.text} (${this.problem})`;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    return new InvalidJson(text, (err as Error).message);
  }
}

/** "an integer ≥ 1", "a number in [0, 1]", "a number > 0", "one of "tanh", "relu"". */
export function describeKind(field: Field): string {
  switch (field.kind) {
    case "integer":
    case "number": {
      const what = field.kind === "integer" ? "an integer" : "a number";
      const { min, max } = field;
      if (min !== undefined && max !== undefined) return `${what} in ${field.minExclusive ? "(" : "["}${fmt(min)}, ${fmt(max)}]`;
      if (min !== undefined) return `${what} ${field.minExclusive ? ">" : "≥"} ${fmt(min)}`;
      if (max !== undefined) return `${what} ≤ ${fmt(max)}`;
      return what;
    }
    case "boolean":
      return "true or false";
    case "string":
      return field.nonEmpty ? "a non-empty string" : "a string";
    case "choice":
      return `one of ${field.choices.map((c) => JSON.stringify(c)).join(", ")}`;
    case "integer-list":
      return field.minLength ? "a non-empty list of positive integers" : "a list of positive integers";
    case "json":
      return 'a JSON object, e.g. {"opponent": "minimax"}';
  }
}

const fmt = (x: number) => (x === 0xffffffff ? "2^32 − 1" : String(x));

function copy<T>(v: T): T {
  if (Array.isArray(v)) return [...v] as T;
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) return { ...v };
  return v;
}

function show(v: unknown): string {
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** " (did you mean 'lr'?)" for a near miss among `names`, else "; known: a, b, c". */
export function suggest(name: string, names: readonly string[]): string {
  const close = names.filter((n) => n.toLowerCase() === name.toLowerCase() || editDistance(n.toLowerCase(), name.toLowerCase()) <= 2);
  return close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(" or ")}?)` : `; known: ${names.join(", ")}`;
}

/** Levenshtein distance (insert, delete, substitute), for suggestions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/**
 * Parses a config whose defaults depend on the environment (rl-zoo style presets): the schema's
 * defaults, then the preset for the config's `envId` (given, or the default one), then `partial`.
 * Values the caller gives always win.
 */
export function parseWithPresets<F extends Fields>(schema: ConfigSchema<F>, presets: Readonly<Record<string, Partial<ConfigOfFields<F>>>>, partial: Partial<ConfigOfFields<F>> | Record<string, unknown> = {}): ConfigOfFields<F> {
  const given = schema.canonical(partial);
  const envId = given.envId ?? (schema.defaults as Record<string, unknown>).envId;
  const preset: Record<string, unknown> = typeof envId === "string" ? presets[envId] ?? {} : {};
  return schema.parse({ ...preset, ...stripUndefined(given) });
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
