// Prints the end-to-end run's totals as one plain line ("end2end: N passed, N failed").
const path = require("path");
const file = process.argv[2] ?? "test-results/results.json";
const { stats } = require(path.resolve(__dirname, file));
console.log(`end2end: ${stats.expected} passed, ${stats.unexpected + stats.flaky} failed`);
