import { describe, expect, it } from "vitest";
import { rewardToGo } from "../lib/algos/advantages";
import { checkAll, checkFunction, checkThat, checkValue, firstDifference, rewardToGoCases } from "../lib/teach";

const display = (r: object) => (r as Record<symbol, () => Record<string, string>>)[Symbol.for("Jupyter.display")]();

describe("self-checking exercises", () => {
  it("a correct function passes on every case", () => {
    const mine = (r: number[], e: number[], g: number) => {
      const out: number[] = [];
      let G = 0;
      for (let t = r.length - 1; t >= 0; t--) { if (e[t]) G = 0; G = r[t] + g * G; out[t] = G; }
      return out;
    };
    const r = checkFunction("rewardToGo", mine, (a, b, c) => Array.from(rewardToGo(a, b, c)), rewardToGoCases());
    expect(r.passed).toBe(true);
    expect(r.summary).toBe("agrees with the library on all 25 cases");
    expect(display(r)["text/html"]).toMatch(/✓ rewardToGo/);
  });

  it("a wrong function fails on the first differing case and says where (forgetting the episode restart)", () => {
    const noRestart = (r: number[], _e: number[], g: number) => {
      const out: number[] = [];
      let G = 0;
      for (let t = r.length - 1; t >= 0; t--) { G = r[t] + g * G; out[t] = G; }
      return out;
    };
    const r = checkFunction("rewardToGo", noRestart, (a, b, c) => Array.from(rewardToGo(a, b, c)), rewardToGoCases());
    expect(r.passed).toBe(false);
    expect(r.summary).toBe("case 4 of 25 differs from the library's"); // the first case with two episodes
    expect(r.details.join("\n")).toMatch(/inputs: {3}\[ 1, 2, 3, 4 \], \[ 0, 1, 0, 1 \], 0\.5/);
    expect(r.details.join("\n")).toMatch(/first difference \(yours vs expected\) at \[0\]: 3\.25 vs 2/);
    expect(String(r)).toMatch(/^✗ rewardToGo: case 4/);
  });

  it("an unfinished exercise is 'not done yet'; a crash names the case", () => {
    const todo = () => { throw new Error("TODO: write rewardToGo"); };
    expect(checkFunction("f", todo, () => 1, [[]]).summary).toMatch(/^not done yet \(your function says: TODO/);
    const crash = (x: number) => { if (x > 1) throw new RangeError("boom"); return x; };
    const r = checkFunction("f", crash, (x: number) => x, [[1], [2]]);
    expect(r.summary).toBe("your function threw on case 2 of 2: boom");
    expect(checkFunction("f", 3 as never, () => 1, [[]]).summary).toBe("expected a function, got 3");
  });

  it("compares numbers within a tolerance, lists and objects deeply", () => {
    expect(firstDifference(1.000001, 1)).toBeUndefined();
    expect(firstDifference(1.1, 1)).toBe("value: 1.1 vs 1");
    expect(firstDifference(Float32Array.of(1, 2), [1, 2])).toBeUndefined();
    expect(firstDifference([1, 2], [1, 2, 3])).toBe("value: length 2 vs 3");
    expect(firstDifference({ a: { b: [0, 5] } }, { a: { b: [0, 4] } })).toBe(".a.b[1]: 5 vs 4");
    expect(firstDifference("x", 1)).toBe('value: "x" vs 1 (expected a number)');
  });

  it("checkValue, checkThat and checkAll", () => {
    expect(checkValue("answer", 42, 42).passed).toBe(true);
    const off = checkValue("answer", 41, 42, { hint: "count the last step too" });
    expect(off.passed).toBe(false);
    expect(off.details).toEqual(["expected: 42", "hint: count the last step too"]);
    expect(checkValue("answer", undefined, 42).summary).toMatch(/not answered yet/);
    const all = checkAll("exercise 1", [checkValue("a", 1, 1), checkThat("b", false, { pass: "ok", fail: "the pole fell" })]);
    expect(all.passed).toBe(false);
    expect(all.summary).toBe("1 of 2 checks fail");
    expect(all.details[0]).toBe("✗ b: the pole fell");
  });
});
