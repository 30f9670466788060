// Shared helpers for the end-to-end tests.
import { expect, type Page } from "@playwright/test";

/** The sandbox platform's base URL (started by scripts/e2e.sh). */
export const platformUrl = process.env.AUTOGPT_URL ?? "http://127.0.0.1:8006";

/**
 * Waits until every island on the page has hydrated: clicks made before the
 * WASM is live would be handled by the plain-HTML fallback instead.
 */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("[data-hydrated]").first()).toHaveAttribute("data-hydrated", "true");
}

/** Saves a screenshot under artifacts/ (kept by CI as a test artifact). */
export async function snapshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `artifacts/${name}.png`, fullPage: true });
}
