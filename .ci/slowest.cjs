#!/usr/bin/env node
// The slowest test files and tests of a vitest run, from its JSON report (vitest --reporter=json
// --outputFile=FILE): where the suite's time goes, printed after every CI run.
// usage: node .ci/slowest.cjs [.ci/vitest.json] [how many, default 15]
const fs = require("node:fs");
const path = require("node:path");

const file = process.argv[2] ?? path.join(__dirname, "vitest.json");
const count = Number(process.argv[3] ?? 15);
if (!fs.existsSync(file)) { console.error(`slowest: no such report: ${file}`); process.exit(1); }
const report = JSON.parse(fs.readFileSync(file, "utf8"));
const root = path.resolve(__dirname, "..");
const seconds = (ms) => `${(ms / 1000).toFixed(1).padStart(6)} s`;

const files = report.testResults.map((f) => ({ name: path.relative(root, f.name), ms: f.endTime - f.startTime }));
const tests = report.testResults.flatMap((f) => f.assertionResults.map((t) => ({
  name: `${path.relative(root, f.name)} › ${t.fullName}`, ms: t.duration ?? 0,
})));
const top = (rows) => rows.sort((a, b) => b.ms - a.ms).slice(0, count).map((r) => `${seconds(r.ms)}  ${r.name}`).join("\n");
console.log(`== the ${count} slowest test files (wall time of each file)\n${top(files)}`);
console.log(`== the ${count} slowest tests\n${top(tests)}`);
