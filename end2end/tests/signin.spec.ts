// Signing in with AutoGPT: the browser login flow, the API-key flow, sign-out,
// and the no-JavaScript path (B8).
import { expect, test } from "@playwright/test";
import { admin, platformLogin, signIn, snapshot, waitForHydration } from "./helpers";

test.beforeEach(async ({ page }) => {
  await admin(page, "POST", "/reset");
});

test("login flow: platform login, consent, back on /connect signed in", async ({ page }) => {
  await signIn(page);
  await expect(page.locator("#signed-in-as")).toContainText("alice@example.com");
  await expect(page.getByText("Signed in with AutoGPT.")).toBeVisible();
  await snapshot(page, "connect-signed-in");
  // The landing page shows the connection status.
  await page.goto("/");
  await expect(page.locator("#connection-status")).toContainText("Connected as alice@example.com");
});

test("API-key flow: consent page in a popup, the popup signs this page in", async ({ page }) => {
  await page.goto("/connect");
  await waitForHydration(page);
  await page.getByText("Or use API key instead").click();
  await page.getByLabel("Enter your AutoGPT API key").fill("agpt_bob_dev_key");
  const popupPromise = page.waitForEvent("popup");
  await page.getByRole("button", { name: "Authorize with API Key" }).click();
  const popup = await popupPromise;
  await expect(popup.locator("#consent-approve")).toBeVisible();
  await snapshot(popup, "api-key-consent-popup");
  await popup.locator("#consent-approve").click();
  await expect(page).toHaveURL(/\/connect\?success=true/);
  await expect(page.locator("#signed-in-as")).toContainText("bob@example.com");
});

test("API-key flow with a wrong key falls back to the platform login, in the popup", async ({ page }) => {
  await page.goto("/connect");
  await waitForHydration(page);
  await page.getByText("Or use API key instead").click();
  await page.getByLabel("Enter your AutoGPT API key").fill("agpt_not_a_key");
  const popupPromise = page.waitForEvent("popup");
  await page.getByRole("button", { name: "Authorize with API Key" }).click();
  const popup = await popupPromise;
  await platformLogin(popup, "bob@example.com", "bob-password");
  await popup.locator("#consent-approve").click();
  await expect(page).toHaveURL(/\/connect\?success=true/);
  await expect(page.locator("#signed-in-as")).toContainText("bob@example.com");
});

test("denying consent shows the reason on /connect", async ({ page }) => {
  await page.goto("/connect");
  await page.getByRole("link", { name: "Sign in with AutoGPT" }).click();
  await platformLogin(page, "alice@example.com", "alice-password");
  await page.locator("#consent-deny").click();
  await expect(page).toHaveURL(/\/connect\?error=/);
  await expect(page.getByRole("alert")).toContainText("Access denied");
});

test("sign out forgets the connection", async ({ page }) => {
  await signIn(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in with AutoGPT" })).toBeVisible();
  await page.goto("/agents");
  await expect(page.getByText("Sign in on the")).toBeVisible();
});

test("without JavaScript the sign-in links and forms still work (B8)", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page);
  await expect(page.locator("#signed-in-as")).toContainText("alice@example.com");
  // The API-key form posts to the server, which answers with the consent page.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in with AutoGPT" })).toBeVisible();
  await page.getByRole("link", { name: "Or use API key instead" }).click();
  await page.getByLabel("Enter your AutoGPT API key").fill("agpt_alice_dev_key");
  await page.getByRole("button", { name: "Authorize with API Key" }).click();
  // Alice consented a moment ago: the platform may skip its consent page.
  if (!page.url().includes("success=true")) await page.locator("#consent-approve").click();
  await expect(page).toHaveURL(/\/connect\?success=true/);
  await context.close();
});
