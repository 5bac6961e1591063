#!/usr/bin/env node
// The `tsrl` command: registers the TypeScript loader, then hands over to main.ts.
"use strict";
require("../node/register-ts.cjs");
require("./main.ts").main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code ?? 0; },
  (err) => { console.error(err && err.stack ? err.stack : String(err)); process.exitCode = 1; },
);
