import { expect, test } from "@playwright/test";
import { register, uniqueName, waitLive, watchErrors } from "./helpers";

test("two players chat in the lobby, and a message is shown as text", async ({ browser }) => {
  const [alice, bob] = [uniqueName("chat_a"), uniqueName("chat_b")];
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alicePage = await aliceContext.newPage();
  const bobPage = await bobContext.newPage();
  const aliceErrors = watchErrors(alicePage);
  const bobErrors = watchErrors(bobPage);
  await register(alicePage, alice, "correct-horse");
  await register(bobPage, bob, "correct-horse");
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
  await aliceContext.close();
  await bobContext.close();
  expect([...aliceErrors, ...bobErrors]).toEqual([]);
});
