import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { logIn, register, uniqueName, waitLive, watchErrors } from "./helpers";

/** Gives a player the admin role with the server's own command line, on the test server's data. */
function grantAdmin(username: string): void {
  execFileSync("../target/release/zerolag", [
    "--data-dir", "../target/e2e-data", "--log", "error", "admin", "grant", username, "admin",
  ]);
}

test("an admin watches a bot get flagged live, suspends it, and the bot is refused", async ({ browser }) => {
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const adminErrors = watchErrors(admin);
  const operator = uniqueName("op");
  await register(admin, operator, "correct-horse");
  grantAdmin(operator);
  // The new role ended the operator's sessions: they log in again.
  await logIn(admin, operator, "correct-horse");

  const botContext = await browser.newContext();
  const bot = await botContext.newPage();
  const botErrors = watchErrors(bot);
  const botName = uniqueName("bot");
  await register(bot, botName, "correct-horse");

  // A player is refused the console.
  await bot.goto("/admin");
  await expect(bot.getByRole("alert")).toHaveText("this needs the admin role");

  await admin.goto("/admin");
  await expect(admin.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await waitLive(admin);
  await expect(admin.getByTestId("dashboard")).toContainText("Connections");

  // The bot: 22 dice bets, 150 ms apart, over its own WebSocket.
  await bot.goto("/dice");
  await waitLive(bot);
  await bot.evaluate(async () => {
    const ws = new WebSocket(`ws://${location.host}/ws`);
    await new Promise((open) => ws.addEventListener("open", open));
    for (let i = 0; i < 22; i++) {
      ws.send(JSON.stringify({ type: "dice_bet", req: 1000 + i, idem: `bot-${i}`, amount: 100, target: 5000 }));
      await new Promise((wait) => setTimeout(wait, 150));
    }
    ws.close();
  });

  // The admin sees the alert arrive on the live dashboard and opens it.
  const alert = admin.getByTestId("open-alerts").getByRole("link", { name: `bot_regularity · ${botName}` });
  await expect(alert).toBeVisible({ timeout: 15_000 });
  await alert.click();
  await expect(admin.getByRole("heading", { name: /^Alert \d+$/ })).toBeVisible();
  await expect(admin.getByTestId("alert")).toContainText("people are not that regular");
  await admin.getByLabel("Reason").fill("scripted bets at a fixed pace");
  await admin.getByRole("button", { name: "Suspend", exact: true }).click();
  await expect(admin.getByTestId("outcome")).toHaveText(/^Alert \d+ is actioned\.$/);

  // The bot's next bet is refused, and the page says why.
  await bot.getByLabel("Bet amount").fill("1");
  await bot.getByLabel("Roll under").fill("50");
  await bot.getByRole("button", { name: "Roll", exact: true }).click();
  await expect(bot.getByTestId("dice-result")).toContainText("your account is suspended pending review");

  // The action is in the audit log with who did it and why.
  await admin.getByRole("link", { name: "Audit log" }).click();
  await expect(admin.getByRole("heading", { name: "Audit log" })).toBeVisible();
  const suspend = admin.getByTestId("audit").getByRole("row").filter({ hasText: `player ${botName}` });
  await expect(suspend.first()).toContainText(operator);
  await expect(suspend.first()).toContainText("scripted bets at a fixed pace");

  // The player's page in the console shows the suspension.
  await admin.goto(`/admin/players/${botName}`);
  await expect(admin.getByTestId("player")).toContainText("suspended");

  // A key for the operator wallet API: its secret is shown once; revoked, it is marked so.
  await admin.getByRole("link", { name: "API keys" }).click();
  await admin.getByLabel("Key name").fill("shop");
  await admin.getByRole("button", { name: "Create key" }).click();
  await expect(admin.getByTestId("outcome")).toHaveText(/^Key zk_[0-9a-f]{12} created\. Its secret, shown this once: [0-9a-f]{64}$/);
  const keyId = (await admin.getByTestId("outcome").textContent())!.match(/zk_[0-9a-f]{12}/)![0];
  await admin.getByRole("button", { name: `Revoke ${keyId}` }).click();
  await expect(admin.getByTestId("outcome")).toHaveText(`Key ${keyId} is revoked.`);
  await expect(admin.getByTestId("keys").getByRole("row").filter({ hasText: keyId })).not.toContainText("live");

  expect(adminErrors).toEqual([]);
  expect(botErrors).toEqual([]);
  await adminContext.close();
  await botContext.close();
});
