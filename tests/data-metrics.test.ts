import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import {
  createMetricsLog, dataFrameBundle, dataFrameHtml, datasetsDir, figsDir, packageRoot, readCsv, readCsvFrame,
  rowsToDataFrame, summarizeMetrics, writeCsv,
} from "../lib/data";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-data-"));

function trainingLog() {
  const log = createMetricsLog();
  for (let ep = 0; ep < 40; ep++) {
    const row: Record<string, number | string> = { episode: ep, step: ep * 25, return: 10 + ep * 0.5, length: 25 };
    if (ep % 5 === 0) row.loss = 1 / (ep + 1); // logged only on update episodes
    if (ep === 3) row.phase = "warmup";
    log.push(row);
  }
  return log;
}

describe("metrics log", () => {
  test("rows are plain copies, columns in first-seen order, undefined dropped", () => {
    const log = createMetricsLog();
    const row = { episode: 1, return: 5, loss: undefined };
    log.push(row);
    row.return = 99; // the caller reusing its object must not rewrite history
    log.push({ episode: 2, return: 7, loss: 0.5 });
    expect(log.rows).toEqual([{ episode: 1, return: 5 }, { episode: 2, return: 7, loss: 0.5 }]);
    expect(log.columns()).toEqual(["episode", "return", "loss"]);
    expect(log.length).toBe(2);
    expect(log.values("loss")).toEqual([0.5]);
    expect(log.last()).toEqual({ episode: 2, return: 7, loss: 0.5 });
    expect(() => log.push({ x: [1, 2] as never })).toThrow(/metrics column 'x' got a array/);
    log.clear();
    expect(log.rows).toHaveLength(0);
  });

  test("interface-typed rows can be pushed and saved (type-level check by tsc)", () => {
    interface EpisodeStats { episode: number; return: number }
    const stats: EpisodeStats[] = [{ episode: 0, return: 1.5 }];
    const log = createMetricsLog(stats);
    log.push(stats[0]);
    expect(log.rows).toEqual([{ episode: 0, return: 1.5 }, { episode: 0, return: 1.5 }]);
    expect(summarizeMetrics(stats).return.mean).toBe(1.5);
  });

  test("toDataFrame types columns and turns missing cells into nulls", () => {
    const log = trainingLog();
    log.push({ episode: 40, return: NaN, big: 5n, done: true });
    const df = log.toDataFrame();
    expect(df.height).toBe(41);
    const types = Object.fromEntries(df.columns.map((c, i) => [c, String(df.dtypes[i])]));
    expect(types).toMatchObject({ episode: "DataType(Int64)", return: "DataType(Float64)", loss: "DataType(Float64)", phase: "DataType(String)", big: "DataType(Int64)", done: "DataType(Bool)" });
    expect(df.getColumn("loss").nullCount()).toBe(41 - 8);
    expect(df.getColumn("big").toArray()[40]).toBe(5);
    expect(Number.isNaN(df.getColumn("return").toArray()[40])).toBe(true);
  });

  test("CSV round trip through polars gives back the same rows", () => {
    const dir = tmp();
    const log = trainingLog();
    log.push({ episode: 40, return: NaN, length: Infinity });
    const file = path.join(dir, "run", "metrics.csv");
    log.saveCsv(file);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["metrics.csv"]);
    expect(fs.readFileSync(file, "utf8").split("\n")[0]).toBe("episode,step,return,length,loss,phase");
    expect(readCsv(file)).toEqual(log.rows);
    const df = readCsvFrame(file);
    expect(df.shape).toEqual({ height: 41, width: 6 });
    expect(createMetricsLog(readCsv(file)).rows).toEqual(log.rows);
  });

  test("empty logs and frames round trip too", () => {
    const dir = tmp();
    createMetricsLog().saveCsv(path.join(dir, "e.csv"));
    expect(readCsv(path.join(dir, "e.csv"))).toEqual([]);
    writeCsv([{ a: 1 }], path.join(dir, "one.csv"));
    expect(readCsv(path.join(dir, "one.csv"))).toEqual([{ a: 1 }]);
    expect(() => readCsv(path.join(dir, "missing.csv"))).toThrow(/no such file/);
  });

  test("summary: count, mean, min, max, last, mean of the last window", () => {
    const s = summarizeMetrics([{ r: 1 }, { r: 3, l: 2 }, { r: NaN }, { r: 8 }], 2);
    expect(s.r).toEqual({ count: 3, mean: 4, min: 1, max: 8, last: 8, lastMean: 5.5 });
    expect(s.l).toEqual({ count: 1, mean: 2, min: 2, max: 2, last: 2, lastMean: 2 });
    const big = createMetricsLog();
    for (let i = 0; i < 300_000; i++) big.push({ i });
    expect(big.summary().i.max).toBe(299_999); // no spread-argument stack overflow
  });
});

describe("DataFrame as HTML", () => {
  test("first and last rows, dtypes under the names, shape footer, escaped", () => {
    const df = rowsToDataFrame([...trainingLog().rows, { episode: 99, phase: "<script>" }]);
    const html = dataFrameHtml(df, 5);
    expect(html).toContain("<table");
    expect(html.match(/<tr>/g)).toHaveLength(1 + 3 + 1 + 2); // header, first 3, the gap, last 2
    expect(html).toContain("&lt;script&gt;"); // the last row
    expect(html).toContain(">episode<br>");
    expect(html).toMatch(/episode<br><small>i64</);
    expect(html).toMatch(/return<br><small>f64</);
    expect(html).toContain("41 rows × 6 columns, showing the first 3 and the last 2");
    expect(dataFrameHtml(df).match(/<tr>/g)).toHaveLength(1 + 41); // 41 ≤ 60: whole
    expect(dataFrameBundle(df)["text/plain"]).toMatch(/^episode\s+step\s+return/);
  });
});

describe("paths", () => {
  test("packageRoot is the repo with package.json named tsrl", () => {
    const root = packageRoot();
    expect(JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).name).toBe("tsrl");
    expect(figsDir("a.png")).toBe(path.join(root, "figs", "a.png"));
    expect(datasetsDir()).toBe(path.join(root, "datasets"));
  });
});
