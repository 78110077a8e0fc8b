import { expect, test } from "@playwright/test";
import { twoPlayers, waitLive } from "./helpers";

// The e2e server announces wins of 1.00 or more (ZEROLAG_BIG_WIN_CENTS=100 in playwright.config.ts).
test("one player wins; the other sees the leaderboard move and a big-win toast, without a reload", async ({ browser }) => {
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

  // Alice starts with one unread notification (her signup grant) and rolls at a 98% chance
  // until she wins.
  await alicePage.goto("/dice");
  await waitLive(alicePage);
  await expect(alicePage.getByRole("link", { name: /^Notifications/ })).toHaveText("Notifications 1");
  await alicePage.getByLabel("Bet amount").fill("300.00");
  await alicePage.getByLabel("Roll under").fill("98");
  const result = alicePage.getByTestId("dice-result");
  for (let roll = 0; roll < 3; roll++) {
    await alicePage.getByRole("button", { name: "Roll", exact: true }).click();
    await expect(result).toHaveText(/^Rolled .* — (won|lost)/);
    if ((await result.textContent())?.includes("won")) break;
  }
  await expect(result).toContainText("won");
  // Her own toast says so.
  await expect(alicePage.getByRole("status").filter({ hasText: "You won 3.00 on dice" })).toBeVisible();

  // Bob sees her on the board and the big-win toast, naming her and the amount.
  const aliceRow = today.getByRole("row").filter({ hasText: alice });
  await expect(aliceRow).toContainText(/\d{3}\.00/);
  await expect(aliceRow.getByRole("link", { name: alice })).toHaveAttribute("href", `/u/${alice}`);
  await expect(bobPage.getByRole("status")).toContainText(`${alice} won 3.00 on dice`);

  // The big win is kept in Alice's inbox: two unread, then none once marked read.
  await expect(alicePage.getByRole("link", { name: /^Notifications/ })).toHaveText("Notifications 2");
  await alicePage.getByRole("link", { name: /^Notifications/ }).click();
  await expect(alicePage.getByRole("heading", { name: "Notifications", level: 1 })).toBeVisible();
  await expect(alicePage.getByTestId("inbox")).toContainText(`${alice} won 3.00 on dice`);
  await expect(alicePage.getByTestId("inbox")).toContainText(`Welcome, ${alice}!`);
  await expect(alicePage.getByTestId("unread")).toHaveText("2 unread");
  await alicePage.getByRole("button", { name: "Mark all as read" }).click();
  await expect(alicePage.getByTestId("unread")).toHaveText("0 unread");
  await expect(alicePage.getByRole("link", { name: /^Notifications/ })).toHaveText("Notifications 0");

  // Alice sees her own row marked on the page.
  await alicePage.goto("/leaderboard?scope=dice&metric=wagered");
  await waitLive(alicePage);
  const own = alicePage.getByRole("table", { name: "Today" }).getByRole("row").filter({ hasText: alice });
  await expect(own).toContainText("(you)");

  await a.context.close();
  await b.context.close();
  expect([...a.errors, ...b.errors]).toEqual([]);
});
