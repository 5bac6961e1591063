/**
 * What a notebook file must never carry in its outputs, found by reading the file: a path of the
 * machine that ran it (a reader's machine has none of them, and it tells the reader nothing), and
 * display data under a key that is not a MIME type (nbformat allows only MIME keys; no front end
 * shows it, and it bloats the file). Used by tests/notebook-files.test.ts on the committed
 * notebooks and by tests/browser.test.ts on the notebook it runs itself.
 */

export interface ScannedOutput {
  output_type: string;
  data?: Record<string, unknown>;
  text?: string | string[];
  traceback?: string[];
  evalue?: string;
  metadata?: Record<string, unknown>;
}
export interface ScannedNotebook {
  cells: { cell_type: string; outputs?: ScannedOutput[]; execution_count?: number | null }[];
}

/**
 * Paths of a machine: absolute ones into Linux home and work folders, temp folders, macOS and
 * Windows homes; and relative ones that climb two levels or more, out of the repository (a
 * notebook sits one level down, so "../runs/x" stays inside it). A path starts at a quote, a space,
 * a bracket or a line start, so "runs/x" or a URL's path is not one.
 */
export const MACHINE_PATH = /(?:^|["'`\s(=[:])((?:\/(?:work|root|home|tmp|Users|private\/var|var\/folders|mnt)\/|(?:\.\.\/){2,})[^\s"'`)\]]*|[A-Za-z]:\\\\?Users\\[^\s"'`]*)/m;

const MIME_KEY = /^[a-z]+\/[\w.+-]+$/i;

/** Text-like payloads only: a base64 PNG may hold "/tmp/" by chance. */
function textPayloads(output: ScannedOutput): string[] {
  const texts = [[output.text ?? []].flat().join(""), output.evalue ?? "", ...(output.traceback ?? [])];
  for (const [mime, value] of Object.entries(output.data ?? {})) {
    if (mime.startsWith("image/") && !mime.startsWith("image/svg")) continue;
    texts.push(typeof value === "string" ? value : Array.isArray(value) && value.every((v) => typeof v === "string") ? value.join("") : JSON.stringify(value));
  }
  return texts;
}

/** One line per problem: "cell 13 (In [7]) output 0: a machine path /work/main/runs/…". */
export function notebookFileProblems(nb: ScannedNotebook): string[] {
  const problems: string[] = [];
  nb.cells.forEach((cell, i) => {
    const where = `cell ${i}${cell.execution_count ? ` (In [${cell.execution_count}])` : ""}`;
    (cell.outputs ?? []).forEach((output, k) => {
      for (const text of textPayloads(output)) {
        const m = MACHINE_PATH.exec(text);
        if (m) problems.push(`${where} output ${k}: a path of the machine that ran it, ${JSON.stringify(m[1].slice(0, 80))}`);
      }
      const bad = Object.keys(output.data ?? {}).filter((key) => !MIME_KEY.test(key));
      if (bad.length) problems.push(`${where} output ${k}: display data under ${bad.map((b) => JSON.stringify(b)).join(", ")}, not a MIME type`);
    });
  });
  return problems;
}
