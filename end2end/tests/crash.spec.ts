import { expect, test } from "@playwright/test";
import { register, uniqueName, waitLive, watchErrors } from "./helpers";

// A round's crash point is unknown in advance (1 in ~50 rounds ends at 1.00x), so the player
// tries again in the next round if a round crashed before the cash-out; a few rounds suffice.
const ROUNDS_TRIED_MAX = 5;

test("two players watch one crash round; one bets and cashes out and both see it", async ({ browser }) => {
  test.setTimeout(240_000);
  const playerContext = await browser.newContext();
  const watcherContext = await browser.newContext();
  const player = await playerContext.newPage();
  const watcher = await watcherContext.newPage();
  const errors = watchErrors(player);
  const watcherErrors = watchErrors(watcher);
  const name = uniqueName("crash");
  await register(player, name, "correct-horse");
  await register(watcher, uniqueName("watch"), "correct-horse");

  await player.goto("/crash");
  await watcher.goto("/crash");
  await waitLive(player);
  await waitLive(watcher);
  await expect(watcher.getByTestId("crash-status")).toContainText("Round");

  let cashedOut = false;
  for (let attempt = 0; attempt < ROUNDS_TRIED_MAX && !cashedOut; attempt++) {
    const bet = player.getByRole("button", { name: "Bet", exact: true });
    await expect(bet).toBeEnabled({ timeout: 150_000 });
    await player.getByLabel("Bet amount").fill("1.00");
    await bet.click();
    await expect(player.getByTestId("crash-message")).toHaveText("Bet 1.00 placed.");
    // The watcher sees the bet in this round's table.
    await expect(watcher.getByTestId("crash-bets")).toContainText(name);

    await expect(player.getByTestId("crash-status")).toContainText(/running|crashed/, { timeout: 30_000 });
    const cashOut = player.getByRole("button", { name: "Cash out" });
    if (await cashOut.isEnabled()) {
      await cashOut.click();
      await expect(player.getByTestId("crash-message")).toHaveText(/Cashed out at \d+\.\d\dx|crashed/);
    }
    cashedOut = /Cashed out/.test((await player.getByTestId("crash-message").textContent()) ?? "");
    if (!cashedOut) {
      await expect(player.getByTestId("crash-multiplier")).toContainText("Crashed at", { timeout: 150_000 });
    }
  }
  expect(cashedOut).toBe(true);
  const message = (await player.getByTestId("crash-message").textContent()) ?? "";
  const multiplier = message.match(/Cashed out at (\d+\.\d\dx)/)![1];
  // Both see the cash-out in the round's table, at the same multiplier.
  await expect(player.getByTestId("crash-bets")).toContainText(multiplier);
  await expect(watcher.getByTestId("crash-bets")).toContainText(multiplier);
  // And the round ends for both with the same crash point.
  await expect(player.getByTestId("crash-multiplier")).toContainText("Crashed at", { timeout: 150_000 });
  const crashed = await player.getByTestId("crash-multiplier").textContent();
  await expect(watcher.getByTestId("crash-multiplier")).toHaveText(crashed ?? "");

  // The watcher verifies finished rounds in the browser on /fair.
  await watcher.goto("/fair");
  await waitLive(watcher);
  await watcher.getByRole("button", { name: /^Verify crash round / }).first().click();
  await expect(watcher.getByTestId("round-verify-result").first()).toHaveText(/^Verified: \d+\.\d\dx$/);

  expect(errors).toEqual([]);
  expect(watcherErrors).toEqual([]);
});
