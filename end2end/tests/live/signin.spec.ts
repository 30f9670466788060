// The live profile (L1, L2): sign in through the platform's consent page, or with an API key
// checked with GET /me.
import { expect, test } from "@playwright/test";
import { snapshot, waitForHydration } from "../helpers";
import { liveAdmin, liveSignIn } from "./helpers";

test.beforeEach(async ({ page }) => {
  await liveAdmin(page, "POST", "/reset");
});

test("live: sign in on the platform's consent page, identity from /me", async ({ page }) => {
  await liveSignIn(page);
  await expect(page.locator("#signed-in-as")).toContainText("alice@example.com");
  await snapshot(page, "live-connect-signed-in");
});

test("live: sign in with an API key (checked with /me, kept server-side)", async ({ page }) => {
  await page.goto("/connect");
  await waitForHydration(page);
  await page.getByText("Or use API key instead").click();
  await page.getByLabel("Enter your AutoGPT API key").fill("agpt_bob_dev_key");
  await page.getByRole("button", { name: "Authorize with API Key" }).click();
  await expect(page).toHaveURL(/\/connect\?success=true/);
  await expect(page.locator("#signed-in-as")).toContainText("bob@example.com");
  // The key never reaches the browser.
  expect(await page.content()).not.toContain("agpt_bob_dev_key");
});

test("live: a wrong API key is refused with a sentence", async ({ page }) => {
  await page.goto("/connect");
  await waitForHydration(page);
  await page.getByText("Or use API key instead").click();
  await page.getByLabel("Enter your AutoGPT API key").fill("agpt_not_a_key");
  await page.getByRole("button", { name: "Authorize with API Key" }).click();
  await expect(page.getByRole("alert")).toContainText("AutoGPT did not accept this API key");
});
