import type { PlaywrightTestConfig } from "@playwright/test";

// What both browser-test runs share (one node: playwright.config.ts; a cluster:
// playwright.cluster.config.ts): Debian's Chromium, one worker, no retries.
export function sharedConfig(port: number, resultsFile: string): PlaywrightTestConfig {
  return {
    expect: { timeout: 15_000 },
    fullyParallel: false,
    workers: 1,
    retries: 0,
    reporter: [["list"], ["json", { outputFile: `test-results/${resultsFile}` }]],
    use: {
      baseURL: `http://127.0.0.1:${port}`,
      trace: "retain-on-failure",
      launchOptions: {
        executablePath: "/usr/bin/chromium",
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
        ],
      },
    },
  };
}
