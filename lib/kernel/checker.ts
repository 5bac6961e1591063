/**
 * Type-checks cells, and answers completion and hover requests, with one TypeScript
 * LanguageService over a virtual file system.
 *
 * Each executed cell i is the virtual module `<cwd>/__cell_i.ts`:
 *   prelude (names from earlier cells) + the cell's text + `export { every top-level name }`.
 * The prelude of a cell brings in every name an earlier cell defined and this cell does not redeclare,
 * from the cell that defined it last: variables as `declare let x: typeof import("./__cell_i").x`
 * (so later cells may reassign a `let`, and get the right error for a `const`), everything else
 * (functions, classes, enums, namespaces, types, imported bindings) as a plain import. Being a
 * module, a cell never leaks names into another by accident, and only diagnostics that fall in the
 * user's own text are reported.
 *
 * A cell that checks cleanly also gets its scope references (scope-refs.ts): the identifiers that name
 * a cell binding, which the REPL transform rewrites to the kernel's scope object.
 */
import path from "node:path";
import ts from "typescript";
import { topLevelNames, type TopLevelName } from "./declarations";
import { KERNEL_MODULES } from "./runtime";
import { scopeReferences } from "./scope-refs";

export interface CellDiagnostic {
  /** 0-based line and UTF-16 column in the cell's text. */
  line: number;
  character: number;
  length: number;
  code: number;
  message: string;
  /** A parse error rather than a type error. */
  syntactic: boolean;
}

export interface CheckResult {
  fileName: string;
  diagnostics: CellDiagnostic[];
  names: TopLevelName[];
  /** Offsets in the cell of the identifiers that name cell bindings (empty when there are diagnostics). */
  scopeRefs: number[];
}

export interface Completions {
  matches: string[];
  /** UTF-16 offsets in the code of the text the matches replace. */
  start: number;
  end: number;
  types: { text: string; type: string }[];
}

export interface CellChecker {
  /** Checks `source` as the next cell; does not make it visible to later cells. */
  check(source: string): CheckResult;
  /** Makes a checked cell's names visible to later cells (call once it has run). */
  commit(result: CheckResult): void;
  complete(code: string, cursor: number): Completions;
  /** Signature and docs of the symbol at (or just before) the cursor, or undefined. */
  quickInfo(code: string, cursor: number): string | undefined;
  /** Loads the standard library and @types once, so the first real cell is not slow. */
  warmUp(): void;
}

/** Diagnostics that would block running perfectly good code in a notebook. */
const IGNORED_DIAGNOSTICS = new Set([
  7016, // Could not find a declaration file for module 'x' (it still loads at run time)
]);

export function compilerOptions(packageRoot: string): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts"],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force,
    types: ["node"],
    typeRoots: [path.join(packageRoot, "node_modules", "@types")],
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    resolveJsonModule: true,
    allowImportingTsExtensions: true,
    noEmit: true,
    paths: {
      tsrl: [path.join(packageRoot, "lib", "index.ts")],
      "tsrl/*": [path.join(packageRoot, "lib", "*")],
      // the modules the kernel provides (runtime.ts), e.g. tslab's display API
      ...Object.fromEntries(Object.entries(KERNEL_MODULES).map(([name, file]) => [name, [file]])),
    },
  };
}

export function createChecker(options: { cwd: string; packageRoot: string }): CellChecker {
  const { cwd, packageRoot } = options;
  const settings = compilerOptions(packageRoot);
  const files = new Map<string, { text: string; version: number }>();
  const cellFile = (i: number) => path.join(cwd, `__cell_${i}.ts`);
  const scratchFile = path.join(cwd, "__cell_scratch.ts");
  let nextCell = 1;
  /** name → the cell module that defined it last, and how. */
  const definitions = new Map<string, { module: string; kind: TopLevelName["kind"]; ambient: boolean }>();

  const setFile = (fileName: string, text: string) => {
    const previous = files.get(fileName);
    if (previous?.text !== text) files.set(fileName, { text, version: (previous?.version ?? 0) + 1 });
  };
  setFile(scratchFile, "");

  const readFile = (fileName: string) => files.get(fileName)?.text ?? ts.sys.readFile(fileName);
  const fileExists = (fileName: string) => files.has(fileName) || ts.sys.fileExists(fileName);
  const resolutionHost: ts.ModuleResolutionHost = { fileExists, readFile, directoryExists: ts.sys.directoryExists, realpath: ts.sys.realpath, getCurrentDirectory: () => cwd };
  const cache = ts.createModuleResolutionCache(cwd, (f) => f, settings);
  const fallbackImporter = path.join(packageRoot, "__cell.ts");

  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => settings,
    getScriptFileNames: () => [...files.keys()],
    getScriptVersion: (fileName) => String(files.get(fileName)?.version ?? 0),
    getScriptSnapshot: (fileName) => {
      const text = readFile(fileName);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => cwd,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists,
    readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
    realpath: ts.sys.realpath,
    // A notebook outside this repository still finds the packages tsrl depends on.
    resolveModuleNameLiterals: (literals, containingFile, _redirect, compilerSettings) =>
      literals.map((literal) => {
        const resolved = ts.resolveModuleName(literal.text, containingFile, compilerSettings, resolutionHost, cache);
        if (resolved.resolvedModule || literal.text.startsWith(".") || !isCell(containingFile)) return resolved;
        return ts.resolveModuleName(literal.text, fallbackImporter, compilerSettings, resolutionHost, cache);
      }),
  };
  const isCell = (fileName: string) => path.dirname(fileName) === cwd && path.basename(fileName).startsWith("__cell_");
  const service = ts.createLanguageService(host, ts.createDocumentRegistry());

  /** Prelude for a cell declaring `own`; every line ends in "\n". */
  const prelude = (own: Set<string>): string => {
    const lines: string[] = [];
    const imports = new Map<string, string[]>();
    for (const [name, def] of definitions) {
      if (own.has(name)) continue;
      const specifier = JSON.stringify("./" + path.basename(def.module, ".ts"));
      if (def.kind === "let" || def.kind === "const") {
        lines.push(`declare ${def.kind} ${name}: typeof import(${specifier}).${name};`);
      } else {
        imports.set(specifier, [...(imports.get(specifier) ?? []), name]);
      }
    }
    for (const [specifier, names] of imports) lines.push(`import { ${names.join(", ")} } from ${specifier};`);
    return lines.map((line) => line + "\n").join("");
  };

  const namesOf = (source: string) => topLevelNames(ts.createSourceFile("cell.ts", source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS));

  /** Writes prelude + code (+ exports) to `fileName`; returns the prelude's length. */
  const stage = (fileName: string, code: string, withExports: boolean): { offset: number; names: TopLevelName[] } => {
    const names = namesOf(code);
    const head = prelude(new Set(names.map((n) => n.name)));
    const exported = names.filter((n) => !n.exported).map((n) => n.name);
    const tail = withExports ? `\nexport { ${exported.join(", ")} };\n` : "\nexport {};\n";
    setFile(fileName, head + code + tail);
    return { offset: head.length, names };
  };

  const toCellDiagnostic = (d: ts.Diagnostic, offset: number, code: string, syntactic: boolean): CellDiagnostic | undefined => {
    if (d.category !== ts.DiagnosticCategory.Error || IGNORED_DIAGNOSTICS.has(d.code) || d.start === undefined) return undefined;
    const start = d.start - offset;
    if (start < 0 || start > code.length) return undefined;
    const { line, character } = lineAndColumn(code, start);
    return { line, character, length: d.length ?? 0, code: d.code, message: ts.flattenDiagnosticMessageText(d.messageText, "\n"), syntactic };
  };

  return {
    check(source) {
      const fileName = cellFile(nextCell);
      const { offset, names } = stage(fileName, source, true);
      const syntax = service.getSyntacticDiagnostics(fileName);
      // Type errors after a parse error are mostly its echoes: show the parse error alone.
      const raw = syntax.length ? syntax : service.getSemanticDiagnostics(fileName);
      const diagnostics = raw.map((d) => toCellDiagnostic(d, offset, source, syntax.length > 0)).filter((d): d is CellDiagnostic => d !== undefined);
      if (diagnostics.length) return { fileName, diagnostics, names, scopeRefs: [] };
      const program = service.getProgram()!;
      const scopeRefs = scopeReferences({
        sourceFile: program.getSourceFile(fileName)!,
        checker: program.getTypeChecker(),
        cellStart: offset,
        cellEnd: offset + source.length,
        isAmbient: (name) => definitions.get(name)?.ambient ?? false,
      });
      return { fileName, diagnostics, names, scopeRefs };
    },
    commit(result) {
      for (const name of result.names) definitions.set(name.name, { module: result.fileName, kind: name.kind, ambient: name.ambient });
      if (result.fileName === cellFile(nextCell)) nextCell += 1;
    },
    complete(code, cursor) {
      const { offset } = stage(scratchFile, code, false);
      const info = service.getCompletionsAtPosition(scratchFile, offset + cursor, {
        includeCompletionsWithInsertText: true,
        includeCompletionsForModuleExports: false,
      });
      let start = cursor;
      while (start > 0 && /[\p{ID_Continue}$]/u.test(code[start - 1])) start -= 1;
      const prefix = code.slice(start, cursor);
      const entries = (info?.entries ?? []).filter((e) => e.name.startsWith(prefix));
      entries.sort((a, b) => (a.sortText === b.sortText ? a.name.localeCompare(b.name) : a.sortText < b.sortText ? -1 : 1));
      const matches = [...new Set(entries.map((e) => e.name))];
      const kinds = new Map(entries.map((e) => [e.name, e.kind] as const));
      return { matches, start, end: cursor, types: matches.map((text) => ({ text, type: kinds.get(text) ?? "" })) };
    },
    quickInfo(code, cursor) {
      const { offset } = stage(scratchFile, code, false);
      for (const at of [cursor, cursor - 1]) {
        if (at < 0) continue;
        const info = service.getQuickInfoAtPosition(scratchFile, offset + at);
        if (!info) continue;
        const signature = ts.displayPartsToString(info.displayParts);
        const docs = ts.displayPartsToString(info.documentation);
        const tags = (info.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`.trimEnd());
        return [signature, docs, tags.join("\n")].filter(Boolean).join("\n\n");
      }
      return undefined;
    },
    warmUp() {
      stage(scratchFile, "export {};", false);
      service.getSemanticDiagnostics(scratchFile);
    },
  };
}

/** 0-based line and column of a UTF-16 offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}
