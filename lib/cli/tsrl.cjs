#!/usr/bin/env node
// The `tsrl` command: registers the TypeScript loader, then hands over to main.ts.
"use strict";
require("../node/register-ts.cjs");
require("./main.ts").main(process.argv.slice(2)).then(
  // a verb's non-zero code wins; a zero leaves alone what a script run by `tsrl run` set itself
  (code) => { if (code) process.exitCode = code; },
  (err) => { console.error(err && err.stack ? err.stack : String(err)); process.exitCode = 1; },
);
