// Time to interactive of each game's first page, in Debian's Chromium, under a slow phone's
// profile: the CPU slowed 4x and Chrome DevTools' "Fast 3G" network (562.5 ms round trip,
// 1.44 Mbit/s down, 675 kbit/s up). A benchmark, not a test: it reports, it asserts nothing.
//
// Usage: node perf/interactive.mjs http://127.0.0.1:3997 [runs]   (`make bench-interactive`)
//
// For each page and run, a fresh browser context (empty cache) opens the page and measures, from
// the start of navigation: the HTML's first byte, first contentful paint, and "interactive":
// the page hydrated and its WebSocket live (the header's connection state reads "Live"). It
// also counts the bytes transferred.
import { chromium } from "@playwright/test";

const base = process.argv[2];
const runs = Number(process.argv[3] ?? 3);
const PAGES = ["/", "/dice", "/crash", "/wheel"];
const CPU_SLOWDOWN = 4;
const FAST_3G = {
  offline: false,
  latency: 562.5,
  downloadThroughput: (1.44 * 1_000_000 * 0.9) / 8,
  uploadThroughput: (675 * 1_000 * 0.9) / 8,
};

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic"],
});

async function measure(path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", FAST_3G);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  let bytes = 0;
  cdp.on("Network.loadingFinished", (event) => (bytes += event.encodedDataLength));
  await page.goto(base + path, { waitUntil: "commit" });
  await page.waitForFunction(
    () => document.querySelector('[data-testid="connection"]')?.textContent === "Live",
    null,
    { timeout: 60_000, polling: 20 },
  );
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    return {
      firstByte: nav.responseStart,
      firstPaint: paint ? paint.startTime : NaN,
      interactive: performance.now(),
    };
  });
  await context.close();
  return { ...timing, bytes };
}

const ms = (value) => `${Math.round(value)} ms`;
console.log(`interactive: ${base}, CPU ${CPU_SLOWDOWN}x slower, Fast 3G, ${runs} runs per page, empty cache`);
for (const path of PAGES) {
  const results = [];
  for (let run = 0; run < runs; run++) results.push(await measure(path));
  results.sort((a, b) => a.interactive - b.interactive);
  const median = results[Math.floor(results.length / 2)];
  console.log(
    `${path}: interactive ${ms(median.interactive)} (runs ${results.map((r) => ms(r.interactive)).join(", ")}), ` +
      `first byte ${ms(median.firstByte)}, first paint ${ms(median.firstPaint)}, ${median.bytes} B transferred`,
  );
}
await browser.close();
