import { expect, Page } from "@playwright/test";

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
