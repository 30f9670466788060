// The live profile's agents and runs (L4–L6): the user's library, a form generated from the
// agent's input schema, one run per click, live status pushed by the server's watcher, block
// errors, stop, reviews answered in our UI, and a missing credential asked for first.
import { expect, type Page, test } from "@playwright/test";
import { snapshot, waitForHydration } from "../helpers";
import { liveAdmin, liveSignIn } from "./helpers";

test.beforeEach(async ({ page }) => {
  await liveAdmin(page, "POST", "/reset");
});

async function openAgent(page: Page, name: string) {
  await page.goto("/agents");
  await page.getByRole("link", { name }).click();
  await expect(page.locator("#agent-form")).toBeVisible();
}

/** Waits for the run page's live status to read `status` (the island reloads the page). */
async function expectStatus(page: Page, status: string, timeout = 30_000) {
  await expect(page).toHaveURL(/\/executions\/[^/?]+/);
  await expect(page.locator("#run-status")).toHaveText(status, { timeout });
}

test("live: the schema form, a double-clicked Run starts one run, live status to completed", async ({ page }) => {
  await liveSignIn(page);
  await openAgent(page, "Echo");
  const form = page.locator("#agent-form");
  await expect(form.locator('[data-field="message"] .required')).toBeVisible();
  await expect(form.locator("#field-api_token")).toHaveAttribute("type", "password");
  await expect(form.locator('[data-field="attachment"]')).toContainText("which this app does not do");
  await expect(form.locator("#field-temperature")).toBeHidden(); // folded under Advanced
  await form.locator("summary").click();
  await expect(form.locator("#field-temperature")).toBeVisible();
  await form.locator("#field-message").fill("hello from the browser");
  await form.locator("#field-repeat").fill("2");
  await form.locator("#field-tone").selectOption("friendly");
  await snapshot(page, "live-agent-form");
  await page.locator("#run-agent").dblclick();
  await expectStatus(page, "completed");
  await waitForHydration(page);
  await expect(page.locator("#run-outputs")).toContainText("hello from the browser");
  await snapshot(page, "live-run-completed");
  const runs = await liveAdmin(page, "GET", "/live/runs");
  expect(runs.filter((r: { user_id: string }) => r.user_id === "user-alice")).toHaveLength(1);
  // The history links to the run, with its start time and cost.
  await page.getByRole("link", { name: "← All runs" }).click();
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await expect(page.locator("tbody tr").first()).toContainText("UTC");
});

test("live: a refused input is shown beside its field", async ({ page }) => {
  await liveSignIn(page);
  await openAgent(page, "Echo");
  await page.locator("#field-message").fill("x");
  await page.locator("#field-tags").fill("not json");
  await page.locator("#run-agent").click();
  await expect(page.locator('[data-field="tags"] .field-error')).toHaveText("Enter valid JSON.");
  await expect(page.locator("#field-message")).toHaveValue("x");
});

test("live: a review approved in our UI, another rejected", async ({ page }) => {
  await liveSignIn(page);
  for (const decision of ["Approve", "Reject"]) {
    await openAgent(page, "Email with review");
    await page.locator("#field-draft").fill(`Hello team (${decision})`);
    await page.locator("#run-agent").click();
    await expectStatus(page, "review");
    await expect(page.locator("#review-form")).toBeVisible();
    if (decision === "Approve") await snapshot(page, "live-run-review");
    for (const radio of await page.getByRole("radio", { name: decision }).all()) await radio.check();
    await page.locator("#submit-reviews").click();
    await expect(page.locator("#review-form")).toHaveCount(0, { timeout: 15_000 });
    await expect(page.locator("#run-status")).toHaveText(/completed|terminated|failed/, { timeout: 30_000 });
  }
  const reviews = await liveAdmin(page, "GET", "/live/reviews");
  const statuses = reviews.map((r: { status: string }) => r.status.toUpperCase());
  expect(statuses).toContain("APPROVED");
  expect(statuses).toContain("REJECTED");
});

test("live: partial shows its block error, failing its failure, slow is stopped", async ({ page }) => {
  await liveSignIn(page);
  await openAgent(page, "Partial results");
  await page.locator("#field-items").fill('["a", "b"]');
  await page.locator("#run-agent").click();
  await expectStatus(page, "completed");
  await expect(page.locator("#run-warning")).toContainText("some steps failed");
  await snapshot(page, "live-run-partial");

  await openAgent(page, "Always fails");
  await page.locator("#run-agent").click();
  await expectStatus(page, "failed");
  await expect(page.locator("#run-failure")).toContainText("Demo failure requested");

  await openAgent(page, "Slow counter");
  await page.locator("#run-agent").click();
  await expectStatus(page, "running");
  await page.locator("#stop-run").click();
  await expectStatus(page, "terminated");
});

test("live: an agent needing Google asks for it first", async ({ page }) => {
  await liveSignIn(page, "bob@example.com", "bob-password");
  await openAgent(page, "Gmail invoice finder");
  const credential = page.locator('[data-credential="credentials"]');
  await expect(credential).toContainText("This agent needs a google account.");
  await expect(credential.getByRole("link", { name: "Connect google" })).toBeVisible();
});

test("live: 402 and 429 are shown as sentences; an expired access token is refreshed unseen", async ({ page }) => {
  await liveSignIn(page);
  await liveAdmin(page, "POST", "/live/settings", { payment_required: true });
  await openAgent(page, "Echo");
  await page.locator("#field-message").fill("paid");
  await page.locator("#run-agent").click();
  await expect(page.locator("#run-error")).toContainText("no active plan or credits");
  await snapshot(page, "live-run-402");
  await liveAdmin(page, "POST", "/live/settings", { payment_required: false, run_rate_limit: 1 });
  await liveAdmin(page, "POST", "/live/rate-limits/reset");
  for (const message of ["one", "two"]) {
    await openAgent(page, "Echo");
    await page.locator("#field-message").fill(message);
    await page.locator("#run-agent").click();
  }
  await expect(page.locator("#run-error")).toContainText("AutoGPT is busy right now. Please wait");
  await liveAdmin(page, "POST", "/live/tokens/expire", { email: "alice@example.com", kind: "access" });
  await page.goto("/agents");
  await expect(page.getByRole("link", { name: "Echo" })).toBeVisible();
});
