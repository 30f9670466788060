// Running agents (G16): live status over SSE, failures, cancel, and tokens the
// platform expired early being refreshed transparently.
import { expect, test } from "@playwright/test";
import { admin, signIn, snapshot, waitForHydration } from "./helpers";

test.beforeEach(async ({ page }) => {
  await admin(page, "POST", "/reset");
  await signIn(page);
  await page.goto("/agents");
  await waitForHydration(page);
});

test("echo agent runs to completion with live status and outputs", async ({ page }) => {
  await page.locator("#agent-echo-agent").check();
  await page.getByLabel("message").fill("Search my emails for invoices");
  await page.getByRole("button", { name: "Run agent" }).click();
  const status = page.locator("#execution-status");
  await expect(status).toHaveText(/queued|running|completed/);
  await expect(status).toHaveText("completed", { timeout: 20_000 });
  await expect(page.locator("#execution-outputs")).toContainText("Search my emails for invoices");
  await snapshot(page, "agent-completed");
  // The history page lists it with the webhook events received.
  await page.goto("/executions");
  await expect(page.locator("tbody tr").first()).toContainText("completed");
  await expect(page.locator("tbody tr").first()).toContainText("UTC");
  // Its detail page: status, outputs, the webhook deliveries received for it.
  await page.locator("tbody tr").first().locator("a").click();
  await expect(page.locator("#run-status")).toHaveText("completed");
  await expect(page.locator("#run-outputs")).toContainText("Search my emails for invoices");
  await expect(page.locator("li", { hasText: "execution.completed" }).first()).toBeVisible();
  await snapshot(page, "run-detail");
});

test("a failing agent shows the platform's message", async ({ page }) => {
  await page.locator("#agent-failing-agent").check();
  await page.getByRole("button", { name: "Run agent" }).click();
  await expect(page.locator("#execution-status")).toHaveText("failed", { timeout: 20_000 });
  await expect(page.locator("#execution-error")).not.toBeEmpty();
  await snapshot(page, "agent-failed");
});

test("a slow agent can be cancelled while it runs", async ({ page }) => {
  await page.locator("#agent-slow-agent").check();
  await page.getByRole("button", { name: "Run agent" }).click();
  await expect(page.locator("#execution-status")).toHaveText(/queued|running/);
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.locator("#execution-status")).toHaveText(/failed|terminated|cancelled/, { timeout: 15_000 });
});

test("the gmail agent asks for a Google connection first", async ({ page }) => {
  await page.locator("#agent-gmail-agent").check();
  await expect(page.getByRole("alert").filter({ hasText: "needs a google connection" })).toBeVisible();
});

test("an access token expired by the platform is refreshed on the next action", async ({ page }) => {
  await admin(page, "POST", "/tokens/expire", { email: "alice@example.com" });
  await page.locator("#agent-echo-agent").check();
  await page.getByLabel("message").fill("after expiry");
  await page.getByRole("button", { name: "Run agent" }).click();
  await expect(page.locator("#execution-status")).toHaveText("completed", { timeout: 20_000 });
});

test("after the refresh token is revoked the page asks to sign in again", async ({ page }) => {
  await admin(page, "POST", "/tokens/expire", { email: "alice@example.com", kind: "all" });
  await page.locator("#agent-echo-agent").check();
  await page.getByRole("button", { name: "Run agent" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "sign in again" })).toBeVisible();
  // Reconnect: the connect page says so and signing in again replaces the dead tokens.
  await page.goto("/connect");
  await page.getByRole("link", { name: "Sign in again" }).click();
  const approve = page.locator("#consent-approve");
  if (await approve.isVisible().catch(() => false)) await approve.click();
  await expect(page).toHaveURL(/\/connect\?success=true/);
  await expect(page.getByText("Your AutoGPT connection expired.")).toHaveCount(0);
});
