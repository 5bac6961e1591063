/**
 * Live charts: every redraw (the first display and each in-place update) carries a fresh PNG beside
 * the vega-lite JSON and text, the throttle spaces redraws so that rendering takes a bounded share
 * of wall time, and an interrupted loop still leaves a PNG of every row it pushed.
 */
import { afterEach, describe, expect, test } from "vitest";
import { itSlow } from "./slow";
import {
  AdaptiveThrottle, VEGA_LITE_MIME, learningCurve, liveChart, readPngHeader, setDisplaySink,
  type DisplaySink, type MimeBundle, type VegaLiteSpec,
} from "../lib/viz";

interface Call { kind: "display" | "update"; bundle: MimeBundle; id?: string; metadata?: Record<string, unknown>; at: number }

function fakeSink(): DisplaySink & { calls: Call[]; tracked: Promise<unknown>[] } {
  const calls: Call[] = [];
  const tracked: Promise<unknown>[] = [];
  return {
    calls,
    tracked,
    display: (bundle, opts) => { calls.push({ kind: "display", bundle, id: opts?.displayId, metadata: opts?.metadata, at: performance.now() }); },
    update: (id, bundle, opts) => { calls.push({ kind: "update", bundle, id, metadata: opts?.metadata, at: performance.now() }); },
    track: (work) => { tracked.push(work); },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds (redraws take a while on a busy machine), failing after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
type Ep = { episode: number; return: number };
const curve = (rows: readonly Ep[]) => learningCurve(rows, { x: "episode", y: "return", window: 3, title: "Live return" });
const rowsIn = (b: MimeBundle) => (b[VEGA_LITE_MIME] as { data: { values: unknown[] } }).data.values.length;

/** Asserts a redraw bundle is complete: vega-lite object, a decodable PNG, text, no SVG. */
function expectPictureBundle(b: MimeBundle): void {
  expect(Object.keys(b).sort()).toEqual([VEGA_LITE_MIME, "image/png", "text/plain"].sort());
  expect(typeof b[VEGA_LITE_MIME]).toBe("object");
  const { width, height } = readPngHeader(Buffer.from(b["image/png"] as string, "base64"));
  expect(width).toBeGreaterThan(0);
  expect(height).toBeGreaterThan(0);
}

afterEach(() => setDisplaySink(undefined));

describe("AdaptiveThrottle", () => {
  test("the interval is the larger of the minimum and cost / share, and follows the smoothed cost", () => {
    const t = new AdaptiveThrottle({ minIntervalMs: 500, maxShare: 0.1 });
    expect(t.intervalMs).toBe(500); // nothing measured yet
    t.finished(5000); // the first run (loading modules) is not counted
    expect(t.costMs).toBe(0);
    t.finished(20);
    expect(t.intervalMs).toBe(500); // 20 ms / 0.1 = 200 ms < the minimum
    t.finished(180); // smoothed: (20 + 180) / 2 = 100 → 1000 ms
    expect(t.costMs).toBe(100);
    expect(t.intervalMs).toBe(1000);
    t.started(10_000);
    expect(t.waitMs(10_400)).toBe(600);
    expect(t.waitMs(11_000)).toBe(0);
    t.finished(1e6);
    expect(t.intervalMs).toBe(30_000); // capped
  });

  test("bad settings are named", () => {
    expect(() => new AdaptiveThrottle({ maxShare: 0 })).toThrow(/maxShare must be in \(0, 1\], got 0/);
    expect(() => new AdaptiveThrottle({ minIntervalMs: -1 })).toThrow(/minIntervalMs must be >= 0, got -1/);
    expect(() => new AdaptiveThrottle({ minIntervalMs: 100, maxIntervalMs: 50 })).toThrow(/maxIntervalMs \(50\) must be >= minIntervalMs \(100\)/);
  });
});

describe("liveChart", () => {
  test("one display, then in-place updates with the same id, each with a fresh PNG; close draws the remaining rows", async () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const starts: number[] = [];
    const live = liveChart((rows: readonly Ep[]) => { starts.push(performance.now()); return curve(rows); }, { throttleMs: 300 });
    live.push({ episode: 0, return: 1 }); // the first push starts a redraw at once
    expect(starts).toHaveLength(1);
    for (let i = 1; i < 50; i++) live.push({ episode: i, return: i }); // while it renders: no second redraw yet
    expect(starts).toHaveLength(1);
    await until(() => sink.calls.length === 2, "the trailing redraw");
    expect(rowsIn(sink.calls[0].bundle)).toBe(1);
    expect(rowsIn(sink.calls[1].bundle)).toBe(50); // every row pushed meanwhile, in one redraw
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(300 - 1); // not before the minimum interval
    live.push([{ episode: 50, return: 2 }, { episode: 51, return: 3 }]);
    await live.close();
    live.push({ episode: 99, return: 0 }); // ignored after close

    const [first, ...rest] = sink.calls;
    expect(first).toMatchObject({ kind: "display", id: live.displayId });
    expect(rest.every((c) => c.kind === "update" && c.id === live.displayId)).toBe(true);
    for (const c of sink.calls) {
      expectPictureBundle(c.bundle);
      // drawn at CSS size: the PNG is rendered at scale 2
      const { width, height } = readPngHeader(Buffer.from(c.bundle["image/png"] as string, "base64"));
      expect(c.metadata).toEqual({ "image/png": { width: width / 2, height: height / 2 } });
    }
    // the pictures differ as the rows grow (a fresh PNG each time, not the first one resent)
    expect(new Set(sink.calls.map((c) => c.bundle["image/png"])).size).toBe(sink.calls.length);
    expect(rowsIn(sink.calls[sink.calls.length - 1].bundle)).toBe(52);
    expect(live.rows).toHaveLength(52);
    expect(live.stats.redraws).toBe(sink.calls.length);
  });

  itSlow("slow redraws are spaced out so rendering stays near maxRenderShare of the time", async () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const busyMs = 40, share = 0.2;
    const starts: number[] = [];
    const slow = (rows: readonly Ep[]): VegaLiteSpec => {
      starts.push(performance.now());
      const until = performance.now() + busyMs;
      while (performance.now() < until); // a chart that is expensive to build
      return curve(rows);
    };
    const live = liveChart(slow, { throttleMs: 20, maxRenderShare: share });
    const began = performance.now();
    for (let ep = 0; sink.calls.length < 4 && performance.now() - began < 30_000; ep++) {
      live.push({ episode: ep, return: ep % 13 });
      await sleep(5); // a training loop that yields now and then
    }
    const throttled = starts.length; // close() redraws at once, unthrottled
    await live.close();
    expect(sink.calls.length).toBeGreaterThanOrEqual(4);
    // redraw k costs c_k (start → its bundle sent); the smoothed estimate is at least c_k / 2 and at
    // least busyMs, so the next start waits ≥ max(c_k / 2, busyMs) / share. A fixed 20 ms throttle
    // would start the next redraw about c_k after the last one.
    for (let k = 1; k + 1 < throttled; k++) {
      const cost = sink.calls[k].at - starts[k];
      const gap = starts[k + 1] - starts[k];
      expect(gap, `gap after redraw ${k} (cost ${cost.toFixed(0)} ms)`).toBeGreaterThanOrEqual(0.9 * Math.max(cost / 2, busyMs) / share);
    }
    expect(live.stats.renderMs).toBeGreaterThanOrEqual(busyMs);
    expect(live.stats.intervalMs).toBeGreaterThanOrEqual(busyMs / share);
    expect(sink.calls.every((c) => typeof c.bundle["image/png"] === "string")).toBe(true);
  });

  test("after an interrupt (the loop throws, close() never called) the last output is a PNG of every pushed row", async () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const live = liveChart(curve, { throttleMs: 100 });
    const train = async () => {
      for (let ep = 0; ; ep++) {
        live.push({ episode: ep, return: ep });
        if (ep === 40) throw new Error("interrupted");
        if (ep % 10 === 0) await sleep(1);
      }
    };
    await expect(train()).rejects.toThrow("interrupted");
    // the trailing redraw runs on its timer
    await until(() => sink.calls.length > 0 && rowsIn(sink.calls[sink.calls.length - 1].bundle) === 41, "a redraw with all 41 rows");
    await sleep(300);
    await Promise.all(sink.tracked);
    const last = sink.calls[sink.calls.length - 1].bundle;
    expectPictureBundle(last);
    expect(rowsIn(last)).toBe(41);
  });

  test("initialRows are drawn at once; close() twice is one final redraw, and none when nothing changed", async () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const history = Array.from({ length: 30 }, (_, i) => ({ episode: i, return: i * 2 }));
    const live = liveChart(curve, { initialRows: history });
    await Promise.all(sink.tracked);
    expect(sink.calls).toHaveLength(1);
    expect(rowsIn(sink.calls[0].bundle)).toBe(30);
    const a = live.close(), b = live.close();
    await Promise.all([a, b]);
    expect(sink.calls).toHaveLength(1); // every row was already shown
    const again = liveChart(curve, { initialRows: history, throttleMs: 10_000 });
    again.push({ episode: 30, return: 0 }); // inside the throttle window
    await Promise.all([again.close(), again.close()]);
    const mine = sink.calls.filter((c) => c.id === again.displayId);
    expect(mine.map((c) => c.kind)).toEqual(["display", "update"]);
    expect(rowsIn(mine[1].bundle)).toBe(31);
  });

  test("update() redraws at once, whatever the throttle", async () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const live = liveChart(curve, { throttleMs: 60_000 });
    live.push({ episode: 0, return: 1 });
    live.push({ episode: 1, return: 2 });
    await live.update();
    expect(sink.calls).toHaveLength(2);
    expect(rowsIn(sink.calls[1].bundle)).toBe(2);
    await live.close();
  });
});
