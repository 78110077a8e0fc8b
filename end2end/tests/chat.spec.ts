import { expect, test } from "@playwright/test";
import { register, twoPlayers, uniqueName, waitLive, watchErrors } from "./helpers";

test("two players chat in the lobby, and a message is shown as text", async ({ browser }) => {
  const [a, b] = await twoPlayers(browser, ["chat_a", "chat_b"]);
  const [alice, bob, alicePage, bobPage] = [a.name, b.name, a.page, b.page];
  for (const page of [alicePage, bobPage]) {
    await page.goto("/");
    await waitLive(page);
  }

  const aliceChat = alicePage.getByRole("region", { name: "Chat" });
  const bobChat = bobPage.getByRole("region", { name: "Chat" });
  const text = `hello from ${alice} <b>bold?</b>`;
  await aliceChat.getByLabel("Message").fill(text);
  await aliceChat.getByRole("button", { name: "Send" }).click();
  await expect(aliceChat.getByLabel("Message")).toHaveValue("");

  const line = bobChat.getByRole("listitem").filter({ hasText: text });
  await expect(line).toBeVisible();
  await expect(line).toContainText(alice);
  await expect(bobChat.locator("b")).toHaveCount(0);

  // Bob answers; after a reload the conversation is still there, loaded with the page.
  await bobChat.getByLabel("Message").fill(`hi ${alice}`);
  await bobChat.getByRole("button", { name: "Send" }).click();
  await expect(aliceChat.getByRole("listitem").filter({ hasText: `hi ${alice}` })).toContainText(bob);
  await alicePage.reload();
  await expect(alicePage.getByRole("region", { name: "Chat" }).getByText(text)).toBeVisible();

  // Presence: the header counts everyone online (both players at least), and a game page says
  // how many are on it, this tab included.
  await expect(bobPage.getByTestId("online")).toHaveText(/^([2-9]|\d{2,}) online$/);
  await bobPage.goto("/wheel");
  await waitLive(bobPage);
  await expect(bobPage.getByTestId("here")).toHaveText(/^[1-9]\d* here$/);

  // A visitor reads the room but is asked to log in to write.
  const visitor = await browser.newPage();
  await visitor.goto("/");
  const visitorChat = visitor.getByRole("region", { name: "Chat" });
  await expect(visitorChat.getByText(text)).toBeVisible();
  await expect(visitorChat.getByText("Log in to chat.")).toBeVisible();
  await expect(visitorChat.getByLabel("Message")).toHaveCount(0);
  await visitor.close();
  await a.context.close();
  await b.context.close();
  expect([...a.errors, ...b.errors]).toEqual([]);
});

test("a player's name leads to their public profile, which they can make private", async ({ page, browser }) => {
  const errors = watchErrors(page);
  const name = uniqueName("prof");
  await register(page, name, "correct-horse");
  await page.goto("/");
  await waitLive(page);
  const chat = page.getByRole("region", { name: "Chat" });
  await chat.getByLabel("Message").fill(`profile of ${name}`);
  await chat.getByRole("button", { name: "Send" }).click();
  await chat.getByRole("link", { name, exact: true }).first().click();
  await expect(page).toHaveURL(new RegExp(`/u/${name}$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  await expect(page.getByTestId("bet-count")).toHaveText("0");

  await page.goto("/me");
  await page.getByRole("button", { name: "Hide my stats" }).click();
  await expect(page.getByTestId("stats-visibility")).toHaveText("Your stats are hidden from others.");
  const visitor = await browser.newPage();
  await visitor.goto(`/u/${name}`);
  await expect(visitor.getByText("This player keeps their stats private.")).toBeVisible();
  await visitor.close();
  expect(errors).toEqual([]);
});
