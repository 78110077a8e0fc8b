import { Browser, expect, Page } from "@playwright/test";

/** A username no earlier test used (3-20 letters, digits, underscores). */
export function uniqueName(prefix: string): string {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  return `${prefix}_${suffix}`.slice(0, 20);
}

/** Collects console errors and uncaught exceptions, which must stay empty. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  return errors;
}

/** Waits until the page has hydrated and its WebSocket is live, with a measured round trip. */
export async function waitLive(page: Page): Promise<void> {
  await expect(page.getByTestId("connection")).toHaveText("Live");
  await expect(page.getByTestId("latency")).toHaveText(/^\d+ ms$/);
}

export async function register(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/register");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("balance")).toHaveText("1,000.00");
}

export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("balance")).toBeVisible();
}

/** Two signed-up players, each in a browser context of their own, with their console errors. */
export async function twoPlayers(browser: Browser, prefixes: [string, string]) {
  const players = [];
  for (const prefix of prefixes) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    const name = uniqueName(prefix);
    await register(page, name, "correct-horse");
    players.push({ context, page, errors, name });
  }
  return players;
}
