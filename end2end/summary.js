// Prints the end-to-end run's totals as one plain line ("end2end: N passed, N failed").
const { stats } = require("./test-results/results.json");
console.log(`end2end: ${stats.expected} passed, ${stats.unexpected + stats.flaky} failed`);
