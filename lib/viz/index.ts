/**
 * lib/viz — plots and tables for notebooks and figs/. Knows nothing about RL.
 *
 *   spec builders (charts.ts)   plain rows/columns → vega-lite v5 spec
 *   show / specBundle (show.ts) spec → MIME bundle (vega-lite JSON + PNG + text) → the notebook
 *   liveChart (live.ts)         one output redrawn in place (a fresh PNG each time) while a loop runs
 *   svgBundle / animationBundle SVG drawing(s) → PNG / animated PNG bundle (picture.ts)
 *   progress (progress.ts)      tqdm-style bar: one notebook output updated in place, or stderr
 *   save (save.ts)              spec → .svg / .png file
 *   table (table.ts)            rows → HTML + text table bundle
 *   diffView (diff.ts)          text diffs, insertions and deletions highlighted (HTML + text)
 *   display (display.ts)        the sink contract shared with lib/kernel
 *   render, png*, apng          headless rendering and the PNG/APNG encoders underneath
 *
 * No displayed bundle carries image/svg+xml; show.ts says why.
 */

export type { ChartOptions, Columns, Row, TableData, VegaLiteSpec } from "./spec";
export { FONT, PALETTE, VEGA_LITE_SCHEMA, fieldRef, theme, toRows } from "./spec";
export { histogramBins, rollingMean, summarize, thinIndices, type HistogramBin } from "./stats";
export {
  barChart, concat, histogram, layer, learningCurve, lineChart, ruleY, scatterChart, seedBand, seedBandStats,
  type AxisOptions, type BarChartOptions, type ConcatOptions, type HistogramOptions, type LearningCurveOptions,
  type LineChartOptions, type ScatterOptions, type SeedBandOptions, type SeedBandRow,
} from "./charts";
export {
  currentDisplaySink, display, isMimeBundle, isMimeType, newDisplayId, pictureMetadata, setDisplaySink, trackWork, updateDisplay,
  type DisplaySink, type MimeBundle,
} from "./display";
export {
  compileSpec, defaultFontFiles, rasterizeSvg, rasterizeSvgAsync, renderPng, renderSvg, svgToPng, type PngOptions, type RenderOptions,
} from "./render";
export { CHART_PNG_SCALE, VEGA_LITE_MIME, describeSpec, show, specBundle, type BundleOptions } from "./show";
export { PNG_MIME, animationBundle, showAnimation, showSvg, svgBundle, type AnimationOptions, type SvgPictureOptions } from "./picture";
export { liveChart, type LiveChart, type LiveChartOptions, type LiveChartStats } from "./live";
export { AdaptiveThrottle, type AdaptiveThrottleOptions } from "./throttle";
export {
  progress, type ProgressAsyncIterable, type ProgressBar, type ProgressFields, type ProgressIterable, type ProgressOptions,
} from "./progress";
export { etaSeconds, formatClock, formatRate, progressHtml, progressLine, textBar, type ProgressState } from "./progress-format";
export {
  PNG_SIGNATURE, crc32, pngChunk, pngDisplaySize, readPngChunks, readPngHeader, tableCrc32, type PngChunkRecord, type PngHeader,
} from "./png";
export { ColourTable, choosePixelFormat, encodePng, encodePngAsync, type EncodePngOptions, type PixelFormat, type RgbaImage } from "./png-encode";
export { encodeApng, encodeIndexedApng, type ApngOptions, type ApngSummary, type IndexedFrames } from "./apng";
export { save, type SaveOptions } from "./save";
export { formatCell, htmlTable, table, textTable, type TableOptions } from "./table";
export { diffPlain, diffView, type DiffRow, type DiffSegmentLike } from "./diff";
