// Lets plain `node` load this package's TypeScript sources with no build step:
// every `.ts` file is transpiled on require (types are checked by `npm run typecheck`,
// by vitest and by the kernel, not here), with an inline source map so stack traces
// point at the .ts lines. `tsrl` and `tsrl/<path>` resolve to this package from anywhere,
// so notebooks and scripts outside the repo import the library in one line; a bare package
// name that does not resolve from the importing file falls back to this package's node_modules
// (so such a script can also `import * as tf from "@tensorflow/tfjs"`, the library's own copy).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");

const packageRoot = path.resolve(__dirname, "..", "..");
let ts; // loaded lazily: typescript is large and only needed when a .ts file is required

// Transpiled output by file, so a module loaded again (a fresh require cache) is not transpiled twice,
// and on disk by content hash, so a new process (every `tsrl` command, every kernel start) does not
// load TypeScript and transpile the whole library again: that was most of a command's start-up time.
const transpiled = new Map();
const cacheDir = path.join(packageRoot, "node_modules", ".cache", "tsrl-ts");
const CACHE_VERSION = "1";

function cacheKey(source, filename) {
  return require("node:crypto").createHash("sha1").update(`${CACHE_VERSION}\0${filename}\0${source}`).digest("hex");
}

function readCache(key) {
  try {
    return fs.readFileSync(path.join(cacheDir, `${key}.js`), "utf8");
  } catch {
    return undefined;
  }
}

function writeCache(key, code) {
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const file = path.join(cacheDir, `${key}.js`);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file); // atomic: a concurrent reader sees the whole file or none
  } catch {
    // a read-only install still works, just slower to start
  }
}

function transpile(source, filename) {
  const hit = transpiled.get(filename);
  if (hit && hit.source === source) return hit.code;
  const key = cacheKey(source, filename);
  const cached = readCache(key);
  if (cached !== undefined) {
    transpiled.set(filename, { source, code: cached });
    return cached;
  }
  ts ??= require("typescript");
  const code = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  }).outputText;
  transpiled.set(filename, { source, code });
  writeCache(key, code);
  return code;
}

function register() {
  if (Module._extensions[".ts"]) return;
  process.setSourceMapsEnabled(true);
  Module._extensions[".ts"] = function loadTs(module, filename) {
    module._compile(transpile(fs.readFileSync(filename, "utf8"), filename), filename);
  };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveTsrl(request, parent, isMain, options) {
    if (request === "tsrl") return path.join(packageRoot, "lib", "index.ts");
    if (request.startsWith("tsrl/")) {
      return resolve.call(this, path.join(packageRoot, "lib", request.slice(5)), parent, isMain, options);
    }
    try {
      return resolve.call(this, request, parent, isMain, options);
    } catch (err) {
      if (err.code !== "MODULE_NOT_FOUND" || !isBareSpecifier(request) || parent === packageParent) throw err;
      try {
        return resolve.call(this, request, packageParent, isMain, options);
      } catch {
        throw err; // report the miss as seen from the importing file
      }
    }
  };
}

// A module inside this package, as far as node_modules lookup is concerned.
const packageParent = new Module(path.join(packageRoot, "package.json"));
packageParent.filename = packageParent.id;
packageParent.paths = Module._nodeModulePaths(packageRoot);

function isBareSpecifier(request) {
  return !(request.startsWith(".") || path.isAbsolute(request) || request.startsWith("node:") || Module.isBuiltin(request));
}

register();
module.exports = { packageRoot, transpile };
