// Helpers of the live-profile specs: the sandbox's live pages (login, consent, setup wizard)
// and its admin API (on the live backend origin).
import { expect, type Page } from "@playwright/test";

/** The live pages origin (login, consent, setup wizard). */
export const livePagesUrl = process.env.SANDBOX_LIVE_PAGES_URL ?? "http://127.0.0.1:8107";
/** The live backend origin (OAuth, External API v2, admin API). */
export const liveApiUrl = process.env.SANDBOX_LIVE_API_URL ?? "http://127.0.0.1:8106";

/** The sandbox's admin API (POSTs always carry JSON). */
export async function liveAdmin(page: Page, method: "GET" | "POST" | "DELETE", path: string, data?: unknown) {
  const body = data ?? (method === "POST" ? {} : undefined);
  const response = await page.request.fetch(`${liveApiUrl}/__admin${path}`, { method, data: body });
  expect(response.ok(), `${method} ${path}: ${response.status()}`).toBeTruthy();
  return response.json();
}

/** Logs in on the live platform's login page. */
export async function liveLogin(page: Page, email: string, password: string): Promise<void> {
  await page.locator("#email").fill(email);
  await page.locator("#password").fill(password);
  await page.locator("#login-submit").click();
}

/** Signs in through the live platform's consent page and lands on /connect. */
export async function liveSignIn(page: Page, email = "alice@example.com", password = "alice-password"): Promise<void> {
  await page.goto("/connect");
  await page.getByRole("link", { name: "Sign in with AutoGPT" }).click();
  if (page.url().includes("/login")) {
    await liveLogin(page, email, password);
  }
  await page.locator("#authorize-approve").click();
  await expect(page).toHaveURL(/\/connect\?success=true/);
  await expect(page.getByRole("heading", { name: "Connect Your Services" })).toBeVisible();
}
