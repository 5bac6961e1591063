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

function transpile(source, filename) {
  ts ??= require("typescript");
  return ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  }).outputText;
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
