// Lets plain `node` load this package's TypeScript sources with no build step:
// every `.ts` file is transpiled on require (types are checked by `npm run typecheck`,
// by vitest and by the kernel, not here), with an inline source map so stack traces
// point at the .ts lines. `tsrl` and `tsrl/<path>` resolve to this package from anywhere,
// so notebooks and scripts outside the repo import the library in one line.
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
    return resolve.call(this, request, parent, isMain, options);
  };
}

register();
module.exports = { packageRoot, transpile };
