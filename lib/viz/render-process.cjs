// The chart renderer's own process (see render-process.ts): vega lays charts out here, resvg
// rasterises them, and PNG bytes go back to the parent over IPC. Plain JS, loaded by fork().
"use strict";
require("../node/register-ts.cjs");
const { renderPng } = require("./render.ts");

process.on("message", (msg) => {
  renderPng(msg.spec, msg.opts || {}).then(
    (png) => process.send({ id: msg.id, png }),
    (err) => process.send({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on("disconnect", () => process.exit(0));
