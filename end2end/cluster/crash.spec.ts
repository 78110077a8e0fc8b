import { expect, test } from "@playwright/test";
import { register, uniqueName, waitLive, watchErrors } from "../tests/helpers";
import { PORT } from "../playwright.cluster.config";

// Two players, each pinned to a different node of the cluster, play one crash round: each sees
// the other's bet, and both see the round end at the same point.
test("players on two nodes play one crash round", async ({ browser }) => {
  const onA = await (await browser.newContext({ baseURL: `http://127.0.0.1:${PORT + 1}` })).newPage();
  const onB = await (await browser.newContext({ baseURL: `http://127.0.0.1:${PORT + 2}` })).newPage();
  const errors = [watchErrors(onA), watchErrors(onB)];
  const [alice, bob] = [uniqueName("node_a"), uniqueName("node_b")];
  await register(onA, alice, "correct-horse");
  await register(onB, bob, "correct-horse");
  await onA.goto("/crash");
  await onB.goto("/crash");
  await waitLive(onA);
  await waitLive(onB);

  // Both bet as soon as a betting window opens; a window that closes before both bets are in
  // is retried with the next round.
  for (let attempt = 0; ; attempt++) {
    expect(attempt).toBeLessThan(5);
    const betA = onA.getByRole("button", { name: "Bet", exact: true });
    const betB = onB.getByRole("button", { name: "Bet", exact: true });
    await expect(betA).toBeEnabled({ timeout: 150_000 });
    await expect(betB).toBeEnabled({ timeout: 15_000 });
    await onA.getByLabel("Bet amount").fill("1.00");
    await onB.getByLabel("Bet amount").fill("2.00");
    await betA.click();
    await betB.click();
    const messages = [onA.getByTestId("crash-message"), onB.getByTestId("crash-message")];
    await expect(messages[0]).toHaveText(/placed|closed/);
    await expect(messages[1]).toHaveText(/placed|closed/);
    const placed = [await messages[0].textContent(), await messages[1].textContent()];
    if (placed.every((text) => /placed/.test(text ?? ""))) break;
    await expect(onA.getByTestId("crash-multiplier")).toContainText("Crashed at", { timeout: 150_000 });
  }
  // Each sees the other's bet in the round's table.
  await expect(onA.getByTestId("crash-bets")).toContainText(bob);
  await expect(onB.getByTestId("crash-bets")).toContainText(alice);
  // The round ends for both at the same point.
  await expect(onA.getByTestId("crash-multiplier")).toContainText("Crashed at", { timeout: 150_000 });
  const crashed = await onA.getByTestId("crash-multiplier").textContent();
  await expect(onB.getByTestId("crash-multiplier")).toHaveText(crashed ?? "");
  expect(errors).toEqual([[], []]);
});
