import { expect, test } from "@playwright/test";
import { twoPlayers, waitLive } from "./helpers";

test("one player's bet moves the leaderboard another player is watching, without a reload", async ({ browser }) => {
  const [a, b] = await twoPlayers(browser, ["lb_a", "lb_b"]);
  const [alice, alicePage, bobPage] = [a.name, a.page, b.page];

  // Bob watches today's dice wagers.
  await bobPage.goto("/leaderboard?scope=dice&metric=wagered");
  await waitLive(bobPage);
  await expect(bobPage.getByRole("heading", { name: "Leaderboard", level: 1 })).toBeVisible();
  const today = bobPage.getByRole("table", { name: "Today" });
  await expect(bobPage.getByRole("table", { name: "This week" })).toBeVisible();
  await expect(bobPage.getByRole("table", { name: "All time" })).toBeVisible();
  await expect(today.getByRole("row").filter({ hasText: alice })).toHaveCount(0);

  // Alice wagers half her balance on dice; her compact board beside the game shows her too.
  await alicePage.goto("/dice");
  await waitLive(alicePage);
  await alicePage.getByLabel("Bet amount").fill("500.00");
  await alicePage.getByLabel("Roll under").fill("50");
  await alicePage.getByRole("button", { name: "Roll", exact: true }).click();
  await expect(alicePage.getByTestId("dice-result")).toHaveText(/^Rolled /);

  const aliceRow = today.getByRole("row").filter({ hasText: alice });
  await expect(aliceRow).toContainText("500.00");
  await expect(aliceRow.getByRole("link", { name: alice })).toHaveAttribute("href", `/u/${alice}`);

  // Alice sees her own row marked on the page.
  await alicePage.goto("/leaderboard?scope=dice&metric=wagered");
  await waitLive(alicePage);
  const own = alicePage.getByRole("table", { name: "Today" }).getByRole("row").filter({ hasText: alice });
  await expect(own).toContainText("(you)");

  await a.context.close();
  await b.context.close();
  expect([...a.errors, ...b.errors]).toEqual([]);
});
