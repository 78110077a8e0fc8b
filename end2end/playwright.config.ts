import { defineConfig } from "@playwright/test";
import { sharedConfig } from "./playwright.shared";

// The release server on its own port with a fresh database for every run.
const PORT = 3107;
const DATA = "../target/e2e-data";

export default defineConfig({
  ...sharedConfig(PORT, "results.json"),
  testDir: "./tests",
  timeout: 60_000,
  webServer: {
    // Risk rules only raise alerts here: the console test's admin suspends the bot.
    command: `rm -rf ${DATA} && ZEROLAG_BIG_WIN_CENTS=100 ZEROLAG_RISK_SUSPENSIONS=false ZEROLAG_CRASH_BETTING_MS=2500 ZEROLAG_WHEEL_BETTING_MS=3000 ZEROLAG_WHEEL_SPIN_MS=1500 ../target/release/zerolag --addr 127.0.0.1:${PORT} --data-dir ${DATA} --site-root ../target/site --log warn`,
    url: `http://127.0.0.1:${PORT}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
