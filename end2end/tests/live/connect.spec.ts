// The live profile's Connect (L3): the setup wizard in a popup, its result checked by our own
// callback and handed to this page with the attempt's nonce.
import { expect, type Page, test } from "@playwright/test";
import { snapshot, waitForHydration } from "../helpers";
import { liveAdmin, liveSignIn } from "./helpers";

test.beforeEach(async ({ page }) => {
  await liveAdmin(page, "POST", "/reset");
});

async function openWizard(page: Page, provider: string) {
  await waitForHydration(page);
  const popupPromise = page.waitForEvent("popup");
  await page.getByRole("button", { name: `Connect ${provider}` }).click();
  const popup = await popupPromise;
  await expect(popup.locator("#wizard-form")).toBeVisible();
  return popup;
}

test("live: connect GitHub through the setup wizard", async ({ page }) => {
  await liveSignIn(page);
  const popup = await openWizard(page, "GitHub");
  await snapshot(popup, "live-setup-wizard");
  await popup.locator("#wizard-continue").click();
  await expect(page.locator('.provider-card[data-provider="github"]').getByText("Connected.")).toBeVisible();
  await expect(page.locator('.connected[data-provider="github"]')).toContainText("cred-alice-github");
  await snapshot(page, "live-connected-github");
});

// The app's database outlives the sandbox's resets, and alice's seeded credentials come back
// with every reset: the "nothing connected" checks sign in as bob, who has none.
const bob: [string, string] = ["bob@example.com", "bob-password"];

test("live: cancel in the wizard shows cancelled and allows a retry", async ({ page }) => {
  await liveSignIn(page, ...bob);
  const popup = await openWizard(page, "GitHub");
  await popup.locator("#wizard-cancel").click();
  const card = page.locator('.provider-card[data-provider="github"]');
  await expect(card.locator(".banner-error")).toContainText("Connection cancelled.");
  await expect(card.getByRole("button")).toBeEnabled();
  await expect(page.locator('.connected[data-provider="github"]')).toHaveCount(0);
});

test("live: a closed wizard popup is reconciled with the credential list", async ({ page }) => {
  await liveSignIn(page, ...bob);
  const popup = await openWizard(page, "GitHub");
  await popup.close();
  // Nothing was added since the attempt began: still waiting, nothing shown as failed,
  // nothing connected.
  const card = page.locator('.provider-card[data-provider="github"]');
  await expect(card.getByRole("button")).toHaveText("Connecting...");
  await expect(card.locator(".banner-error")).toHaveCount(0);
  await expect(page.locator('.connected[data-provider="github"]')).toHaveCount(0);
});

test("live: a credential added in the wizard of a closed popup is found", async ({ page }) => {
  await liveSignIn(page, ...bob);
  const popup = await openWizard(page, "Notion");
  // A new Notion account, then the user closes the popup instead of pressing Continue.
  await popup.locator("#wizard-connect-notion").click();
  await popup.close();
  await page.bringToFront();
  await page.evaluate(() => window.dispatchEvent(new Event("focus")));
  await expect(page.locator('.connected[data-provider="notion"]')).toHaveCount(1);
});

test("live: a blocked popup falls back to the wizard in this window, back on /connect", async ({ page }) => {
  await liveSignIn(page);
  await waitForHydration(page);
  await page.evaluate(() => {
    window.open = () => null;
  });
  await page.getByRole("button", { name: "Connect GitHub" }).click();
  const link = page.getByRole("link", { name: "open the AutoGPT connect page" });
  await expect(link).toBeVisible();
  const href = (await link.getAttribute("href")) ?? "";
  await page.goto(href);
  await page.locator("#wizard-continue").click();
  await expect(page).toHaveURL(/\/connect\?connected=github/);
  await expect(page.locator("#connected-banner")).toContainText("Connected github.");
  await expect(page.locator('.connected[data-provider="github"]')).toContainText("cred-alice-github");
});

test("live: a forged result from another window or origin is ignored", async ({ page }) => {
  await liveSignIn(page, ...bob);
  const popup = await openWizard(page, "GitHub");
  // Same window, our origin but a guessed nonce; and a message from the platform's origin.
  await page.evaluate(() => {
    for (const origin of [window.location.origin, "http://127.0.0.1:1"]) {
      window.dispatchEvent(
        new MessageEvent("message", {
          origin,
          data: { type: "autogpt_connect_result", success: true, nonce: "guess", grant_id: "forged", provider: "github" },
        }),
      );
    }
  });
  // The wizard's own window (the platform's origin) posting to us with any nonce is ignored too.
  await popup.evaluate(() => {
    window.opener?.postMessage(
      { type: "autogpt_connect_result", success: true, nonce: "x", grant_id: "forged", provider: "github" },
      "*",
    );
  });
  const card = page.locator('.provider-card[data-provider="github"]');
  await expect(card.getByRole("button")).toHaveText("Connecting...");
  await expect(page.locator('.connected[data-provider="github"]')).toHaveCount(0);
  await popup.close();
});
