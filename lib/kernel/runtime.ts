/**
 * What emitted cells reach through the `__tsrl` global (see repl-transform.ts): the scope object that
 * holds the cells' bindings; `require` resolved from the notebook's directory (so `./helpers` and
 * `tsrl` work; the TypeScript loader is active), falling back to this package's own node_modules,
 * with the modules the kernel itself provides (`tslab`) first; esModuleInterop-style import helpers.
 */
import Module from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { RUNTIME_GLOBAL } from "./repl-transform";

const packageRoot = path.resolve(__dirname, "..", "..");

/**
 * Modules a cell can import that the kernel provides, whatever is installed: `tslab`'s display API,
 * so notebooks written for tslab run unchanged. The checker maps the same names (checker.ts).
 */
export const KERNEL_MODULES: Readonly<Record<string, string>> = {
  tslab: path.join(packageRoot, "lib", "kernel", "tslab.ts"),
};

export interface CellRuntime {
  /** The cells' top-level bindings, by name. Null prototype: nothing but what cells declared. */
  scope: Record<string, unknown>;
  require(specifier: string): unknown;
  importDefault(mod: unknown): unknown;
  importStar(mod: unknown): unknown;
  dynamicImport(specifier: string): Promise<unknown>;
  importMeta: { url: string; filename: string; dirname: string };
}

export function makeRuntime(cwd: string): CellRuntime {
  // Cells import .ts files (tsrl itself, a notebook's helpers): make sure the loader is on.
  Module.createRequire(__filename)(path.join(packageRoot, "lib", "node", "register-ts.cjs"));
  const cellPath = path.join(cwd, "__cell.ts");
  const fromCwd = Module.createRequire(cellPath);
  const fromPackage = Module.createRequire(path.join(packageRoot, "__cell.ts"));
  const requireCell = (specifier: string): unknown => {
    if (Object.hasOwn(KERNEL_MODULES, specifier)) return fromPackage(KERNEL_MODULES[specifier]);
    try {
      return fromCwd(specifier);
    } catch (err) {
      const notFound = (err as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" && String((err as Error).message).includes(`'${specifier}'`);
      if (!notFound || specifier.startsWith(".")) throw err;
      return fromPackage(specifier);
    }
  };
  const isEsModule = (mod: unknown) => typeof mod === "object" && mod !== null && (mod as { __esModule?: boolean }).__esModule === true;
  const importStar = (mod: unknown) => (isEsModule(mod) ? mod : Object.assign(Object.create(null), mod as object, { default: mod }));
  return {
    scope: Object.create(null) as Record<string, unknown>,
    require: requireCell,
    importDefault: (mod) => (isEsModule(mod) ? (mod as { default: unknown }).default : mod),
    importStar,
    dynamicImport: async (specifier) => importStar(requireCell(specifier)),
    importMeta: { url: pathToFileURL(cellPath).href, filename: cellPath, dirname: cwd },
  };
}

export function installRuntime(runtime: CellRuntime): void {
  Object.defineProperty(globalThis, RUNTIME_GLOBAL, { value: runtime, configurable: true, enumerable: false, writable: true });
}
