import { expect, test } from "@playwright/test";
import { register, uniqueName, waitLive, watchErrors } from "./helpers";

test("a player logs out, is refused a wrong password, and logs back in", async ({ page }) => {
  const errors = watchErrors(page);
  const name = uniqueName("acct");
  await register(page, name, "correct-horse");
  await waitLive(page);

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("link", { name: "Log in" })).toBeVisible();
  await expect(page.getByTestId("balance")).toHaveCount(0);

  await page.goto("/login");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("wrong-horse");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");

  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("correct-horse");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("balance")).toHaveText("1,000.00");
  await waitLive(page);
  expect(errors).toEqual([]);
});

test("a taken username is refused with a clear message", async ({ page, browser }) => {
  const name = uniqueName("taken");
  await register(page, name, "correct-horse");
  const stranger = await browser.newPage();
  await stranger.goto("/register");
  await stranger.getByLabel("Username").fill(name);
  await stranger.getByLabel("Password").fill("another-horse");
  await stranger.getByRole("button", { name: "Create account" }).click();
  await expect(stranger.getByRole("alert")).toHaveText("That username is taken.");
  await stranger.close();
});
