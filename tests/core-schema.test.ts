import { describe, expect, it, vi } from "vitest";
import { bool, choice, ConfigError, defineSchema, editDistance, int, intList, json, num, parseWithPresets, str, type ConfigOf } from "../lib/core/schema";

const schema = defineSchema("demo", {
  envId: str("CartPole-v1", "environment id", { positional: true, nonEmpty: true }),
  seed: int(1, "seed", { min: 0, max: 0xffffffff }),
  lr: num(1e-3, "learning rate", { min: 0, minExclusive: true }),
  gamma: num(0.99, "discount", { min: 0, max: 1 }),
  hidden: intList([64, 64], "widths"),
  activation: choice(["tanh", "relu"], "tanh", "activation"),
  normalize: bool(true, "standardise"),
});
type Demo = ConfigOf<typeof schema>;

describe("config schema: one declaration per field", () => {
  it("defaults come from the declarations, fresh each time (lists are copies)", () => {
    const a = schema.defaults, b = schema.defaults;
    expect(a).toEqual({ envId: "CartPole-v1", seed: 1, lr: 1e-3, gamma: 0.99, hidden: [64, 64], activation: "tanh", normalize: true });
    a.hidden.push(1);
    expect(b.hidden).toEqual([64, 64]);
    expect(schema.fields.hidden.default).toEqual([64, 64]);
  });

  it("parse fills defaults, keeps given values and does not alias the caller's lists", () => {
    const hidden = [8];
    const c: Demo = schema.parse({ gamma: 0.5, hidden, activation: "relu" });
    expect(c).toMatchObject({ gamma: 0.5, hidden: [8], activation: "relu", seed: 1 });
    hidden.push(9);
    expect(c.hidden).toEqual([8]);
    expect(schema.parse({ lr: undefined }).lr).toBe(1e-3); // undefined means "the default"
  });

  it("errors name the field, the value and what was expected", () => {
    expect(() => schema.parse({ gamma: 1.5 })).toThrow(/^demo config: gamma = 1\.5, expected a number in \[0, 1\]$/);
    expect(() => schema.parse({ lr: 0 })).toThrow(/lr = 0, expected a number > 0/);
    expect(() => schema.parse({ seed: 2.5 })).toThrow(/seed = 2\.5, expected an integer in \[0, 2\^32 − 1\]/);
    expect(() => schema.parse({ seed: -1 })).toThrow(/seed = -1/);
    expect(() => schema.parse({ activation: "gelu" as never })).toThrow(/activation = "gelu", expected one of "tanh", "relu"/);
    expect(() => schema.parse({ hidden: [] })).toThrow(/hidden = \[\], expected a non-empty list of positive integers/);
    expect(() => schema.parse({ hidden: [64, 0] })).toThrow(/hidden/);
    expect(() => schema.parse({ normalize: "yes" as never })).toThrow(/normalize = "yes", expected true or false/);
    expect(() => schema.parse({ envId: "" })).toThrow(/envId = "", expected a non-empty string/);
    expect(() => schema.parse({ gamma: NaN })).toThrow(/gamma = NaN/);
    const err = (() => { try { schema.parse({ gamma: 2 }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe("gamma");
  });

  it("an unknown field is an error with a suggestion", () => {
    expect(() => schema.parse({ gama: 0.9 } as never)).toThrow(/unknown field 'gama' \(did you mean 'gamma'\?\)/);
    expect(() => schema.parse({ zzzzzz: 1 } as never)).toThrow(/unknown field 'zzzzzz'; known: envId, seed/);
  });

  it("a renamed field keeps its old names (aliases) for a release: accepted, renamed, one warning line per set of renames", () => {
    const renamed = defineSchema("renamed", {
      envId: str("x", "environment id"),
      learningRate: num(1e-3, "learning rate", { min: 0, minExclusive: true, aliases: ["lr"] }),
      entCoef: num(0, "entropy", { min: 0, aliases: ["entropyCoef", "entropyBonus"] }),
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(renamed.parse({ lr: 0.5, entropyCoef: 0.1 })).toEqual({ envId: "x", learningRate: 0.5, entCoef: 0.1 });
      expect(renamed.parse({ lr: 0.5, entropyCoef: 0.1 })).toEqual({ envId: "x", learningRate: 0.5, entCoef: 0.1 });
      expect(warn).toHaveBeenCalledTimes(1); // the same renames warn once per process
      expect(warn.mock.calls[0][0]).toBe("tsrl: renamed config: renamed lr → learningRate, entropyCoef → entCoef; the old names are accepted until the next release");
      expect(renamed.parse({ learningRate: 0.2, lr: 0.2 }).learningRate).toBe(0.2); // both, agreeing: fine
      expect(() => renamed.parse({ learningRate: 0.2, lr: 0.3 })).toThrow(/learningRate is given twice, also as 'lr' \(its old name\), with different values/);
      expect(() => renamed.parse({ lr: 0 })).toThrow(/learningRate = 0, expected a number > 0/); // checked under the new name
      expect(parseWithPresets(renamed, { x: { learningRate: 0.9 } }, {}).learningRate).toBe(0.9);
      expect(parseWithPresets(renamed, { x: { learningRate: 0.9 } }, { lr: 0.4 }).learningRate).toBe(0.4); // an old name still beats a preset
    } finally {
      warn.mockRestore();
    }
    expect(() => defineSchema("bad", { a: num(0, "a", { aliases: ["b"] }), b: num(0, "b") })).toThrow(/alias 'b' of 'a' names another field/);
  });

  it("describe lists every field with its kind, default and help", () => {
    const rows = schema.describe();
    expect(rows.map((r) => r.field)).toEqual(Object.keys(schema.fields));
    expect(rows.find((r) => r.field === "gamma")).toEqual({ field: "gamma", kind: "a number in [0, 1]", default: "0.99", help: "discount" });
  });

  it("a JSON field takes an object or a JSON string (the CLI's), and names bad JSON", () => {
    const withJson = defineSchema("demo", { envId: str("A-v0", "env"), opts: json({}, "env options") });
    expect(withJson.parse({ opts: '{"opponent":"minimax"}' }).opts).toEqual({ opponent: "minimax" });
    expect(withJson.parse({ opts: { a: 1 } }).opts).toEqual({ a: 1 });
    expect(() => withJson.parse({ opts: "{oops" })).toThrow(/opts = "\{oops \(.*\)", expected a JSON object/);
    expect(() => withJson.parse({ opts: "[1]" })).toThrow(/opts = \[1\], expected a JSON object/);
    // presets: per env id, under what the caller gives
    const presets = { "B-v0": { opts: { fast: true } } };
    expect(parseWithPresets(withJson, presets, { envId: "B-v0" }).opts).toEqual({ fast: true });
    expect(parseWithPresets(withJson, presets, { envId: "B-v0", opts: { fast: false } }).opts).toEqual({ fast: false });
    expect(parseWithPresets(withJson, presets, {}).opts).toEqual({});
  });

  it("edit distance counts single-character edits", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("gamma", "gamma")).toBe(0);
  });
});
