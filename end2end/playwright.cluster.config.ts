import { defineConfig } from "@playwright/test";
import { sharedConfig } from "./playwright.shared";

// A cluster for the browser: a private PostgreSQL and Redis, two release nodes and nginx in
// front of them (`tools/cluster.sh`, as `make cluster` runs it), thrown away after the run.
// nginx listens on PORT, the nodes on PORT + 1 and PORT + 2.
export const PORT = 3207;

export default defineConfig({
  ...sharedConfig(PORT, "cluster-results.json"),
  testDir: "./cluster",
  timeout: 240_000,
  webServer: {
    command: `cd .. && ZEROLAG_CRASH_BETTING_MS=2500 tools/with-postgres.sh tools/with-redis.sh tools/cluster.sh target/release/zerolag ${PORT}`,
    url: `http://127.0.0.1:${PORT}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
  },
});
