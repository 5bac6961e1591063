// The playground's training worker (a worker_thread; see worker.ts): plain JS, so `new Worker()`
// can start it without a loader, then the TypeScript loader for the rest.
"use strict";
require("../../node/register-ts.cjs");
require("./worker.ts");
