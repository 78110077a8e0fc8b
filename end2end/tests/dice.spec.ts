import { expect, test } from "@playwright/test";
import { register, uniqueName, waitLive, watchErrors } from "./helpers";

test("a new player rolls, sees the balance in a second tab, and verifies the roll", async ({ context }) => {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await register(page, uniqueName("dice"), "correct-horse");

  // A second tab of the same player, left open on another page.
  const other = await context.newPage();
  const otherErrors = watchErrors(other);
  await other.goto("/me");
  await waitLive(other);
  await expect(other.getByTestId("balance")).toHaveText("1,000.00");

  await page.goto("/dice");
  await waitLive(page);
  await page.getByLabel("Bet amount").fill("10.00");
  await page.getByLabel("Roll under").fill("50");
  await page.getByRole("button", { name: "Roll", exact: true }).click();
  await expect(page.getByTestId("dice-result")).toHaveText(/^Rolled \d{1,2}\.\d\d — (won 19\.80|lost)$/);

  const result = (await page.getByTestId("dice-result").textContent()) ?? "";
  const expected = result.includes("won") ? "1,009.80" : "990.00";
  await expect(page.getByTestId("balance")).toHaveText(expected);
  // The other tab got the new balance pushed, without a reload.
  await expect(other.getByTestId("balance")).toHaveText(expected);

  // Reveal the server seed, then verify the roll in the browser on /fair.
  await page.getByRole("button", { name: "Rotate seed" }).click();
  await expect(page.getByText("Revealed server seed")).toBeVisible();
  await page.goto("/fair");
  await waitLive(page);
  const roll = result.match(/Rolled (\d{1,2}\.\d\d)/)![1];
  await page.getByRole("button", { name: /^Verify bet / }).first().click();
  await expect(page.getByTestId("verify-result").first()).toHaveText(`Verified: ${roll}`);

  expect(errors).toEqual([]);
  expect(otherErrors).toEqual([]);
});

test("a bet larger than the balance is refused and changes nothing", async ({ page }) => {
  const errors = watchErrors(page);
  await register(page, uniqueName("broke"), "correct-horse");
  await page.goto("/dice");
  await waitLive(page);
  await page.getByLabel("Bet amount").fill("5000");
  await page.getByRole("button", { name: "Roll", exact: true }).click();
  await expect(page.getByTestId("dice-result")).toHaveText(/insufficient funds/);
  await expect(page.getByTestId("balance")).toHaveText("1,000.00");
  expect(errors).toEqual([]);
});
