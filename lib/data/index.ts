/**
 * lib/data — what training leaves on disk, and the paths it goes to.
 *
 *   metrics.ts      createMetricsLog: rows in the loop, polars DataFrame / CSV on demand
 *   csv.ts          readCsv / readCsvFrame / writeCsv
 *   frame-html.ts   polars DataFrame → HTML/text table (for the kernel and notebooks)
 *   safetensors.ts  the safetensors format, read and write, strictly validated
 *   checkpoint.ts   config.json + model.safetensors (+ metrics.csv), saved atomically
 *   atomic.ts       crash-safe file and directory replacement
 *   out-dir.ts      the guard: where a checkpoint may be written, and what tsrl may replace or remove
 *   paths.ts        packageRoot, figsDir, datasetsDir, runsDir
 */

export {
  createMetricsLog, rowsToDataFrame, summarizeMetrics, writeCsv,
  type ColumnSummary, type MetricValue, type MetricsLog, type MetricsRow,
} from "./metrics";
export { frameToRows, readCsv, readCsvFrame } from "./csv";
export { dataFrameBundle, dataFrameHtml } from "./frame-html";
export {
  DTYPE_SIZE, MAX_HEADER_BYTES, SafetensorsError, bf16ToNumber, decodeSafetensors, encodeSafetensors, f16ToNumber,
  numberToBf16, numberToF16, readHeader as readSafetensorsHeader, readSafetensors, writeSafetensors,
  type Dtype, type SafetensorsContents, type Tensor, type TensorData, type TensorInput,
} from "./safetensors";
export {
  CONFIG_FILE, CheckpointError, METRICS_FILE, MODEL_FILE, checkpointConfig, loadCheckpoint, nonFiniteProblems, saveCheckpoint, shapeProblems, versions,
  type CheckpointTensor, type LoadCheckpointOptions, type LoadedCheckpoint, type SaveCheckpointInput, type SaveCheckpointOptions,
} from "./checkpoint";
export { replaceDirAtomic, writeFileAtomic, type ReplaceDirOptions } from "./atomic";
export {
  CHECKPOINT_FILES, CHECKPOINT_MARKER, OutDirError, checkOutDir, makeDirs, notOursReason, probeWritable, removeCheckpointDir,
  type CheckOutDirOptions, type OutDirState,
} from "./out-dir";
export { datasetsDir, figsDir, packageRoot, runsDir } from "./paths";
