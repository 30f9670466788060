// Shared helpers for the end-to-end tests.
import { expect, type Page } from "@playwright/test";

/** The sandbox platform's base URL (started by scripts/e2e.sh). */
export const platformUrl = process.env.AUTOGPT_URL ?? "http://127.0.0.1:8006";
/** The app's base URL. */
export const appUrl = process.env.APP_URL ?? "http://127.0.0.1:3000";

/**
 * Waits until every island on the page has hydrated: clicks made before the
 * WASM is live would be handled by the plain-HTML fallback instead.
 */
export async function waitForHydration(page: Page): Promise<void> {
  const islands = page.locator("[data-hydrated]");
  const count = await islands.count();
  for (let i = 0; i < count; i++) {
    await expect(islands.nth(i)).toHaveAttribute("data-hydrated", "true");
  }
}

/** Saves a screenshot under artifacts/ (kept by CI as a test artifact). */
export async function snapshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `artifacts/${name}.png`, fullPage: true });
}

/** Fills the sandbox's login page. */
export async function platformLogin(page: Page, email: string, password: string): Promise<void> {
  await page.locator("#email").fill(email);
  await page.locator("#password").fill(password);
  await page.locator("#login-submit").click();
}

/** Signs in through the browser login flow (login page, consent) and lands on /connect. */
export async function signIn(page: Page, email = "alice@example.com", password = "alice-password"): Promise<void> {
  await page.goto("/connect");
  await page.getByRole("link", { name: "Sign in with AutoGPT" }).click();
  if (page.url().includes("/login")) {
    await platformLogin(page, email, password);
  }
  const approve = page.locator("#consent-approve");
  if (await approve.isVisible().catch(() => false)) {
    await approve.click();
  }
  await expect(page).toHaveURL(/\/connect\?success=true/);
  await expect(page.getByRole("heading", { name: "Connect Your Services" })).toBeVisible();
}

/** Calls the sandbox's loopback admin API (POSTs always carry JSON: the API refuses other bodies). */
export async function admin(page: Page, method: "GET" | "POST" | "DELETE", path: string, data?: unknown) {
  const body = data ?? (method === "POST" ? {} : undefined);
  const response = await page.request.fetch(`${platformUrl}/__admin${path}`, { method, data: body });
  expect(response.ok(), `${method} ${path}: ${response.status()}`).toBeTruthy();
  return response.json();
}
