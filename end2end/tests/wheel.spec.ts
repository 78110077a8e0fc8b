import { expect, test } from "@playwright/test";
import { register, uniqueName, waitLive, watchErrors } from "./helpers";

test("two players see the wheel stop on the same result, with the bet settled", async ({ browser }) => {
  test.setTimeout(120_000);
  const player = await (await browser.newContext()).newPage();
  const watcher = await (await browser.newContext()).newPage();
  const errors = watchErrors(player);
  const watcherErrors = watchErrors(watcher);
  const name = uniqueName("wheel");
  await register(player, name, "correct-horse");
  await player.goto("/wheel");
  await watcher.goto("/wheel");
  await waitLive(player);
  await waitLive(watcher);

  const bet = player.getByRole("button", { name: "Bet on 1.98x" });
  await expect(bet).toBeEnabled({ timeout: 60_000 });
  await bet.click();
  await expect(player.getByTestId("wheel-message")).toHaveText("Bet 1.00 on 1.98x.");
  await expect(watcher.getByTestId("wheel-bets")).toContainText(name);

  // The round spins: both see the same result, and the bet's payout (1.98 or 0.00).
  await expect(player.getByTestId("wheel-status")).toContainText("spinning", { timeout: 30_000 });
  const result = player.getByTestId("wheel-result");
  await expect(result).toHaveText(/^Round \d+: \d+\.\d\dx \((grey|blue|green|gold)\)$/);
  const shown = (await result.textContent()) ?? "";
  await expect(watcher.getByTestId("wheel-result")).toHaveText(shown);
  const payout = shown.includes("(grey)") ? "1.98" : "0.00";
  await expect(watcher.getByTestId("wheel-bets")).toContainText(payout);
  await expect(player.getByTestId("balance")).toHaveText(shown.includes("(grey)") ? "1,000.98" : "999.00");

  // The finished round verifies in the browser on /fair, from the table and by hand.
  const number = shown.match(/^Round (\d+):/)![1];
  const hash = ((await watcher.getByTestId("wheel-hash").textContent()) ?? "").trim();
  expect(hash).toMatch(/^[0-9a-f]{64}$/);
  await watcher.goto("/fair");
  await waitLive(watcher);
  await watcher.getByLabel("Game").selectOption("wheel");
  await watcher.getByLabel("Round number").fill(number);
  await watcher.getByLabel("Round hash").fill(hash);
  await expect(watcher.getByTestId("manual-round")).toHaveText(
    new RegExp(`^In the published wheel chain at round ${number}: slot \\d+ · \\d+\\.\\d\\dx$`),
  );
  await watcher.goto("/fair");
  await waitLive(watcher);
  await watcher.getByRole("button", { name: /^Verify wheel round / }).first().click();
  const verified = watcher.getByTestId("round-verify-result").filter({ hasText: "slot" }).first();
  await expect(verified).toHaveText(/^Verified: slot \d+ · \d+\.\d\dx$/);

  expect(errors).toEqual([]);
  expect(watcherErrors).toEqual([]);
});
