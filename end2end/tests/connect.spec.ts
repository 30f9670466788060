// The Connect popup (G7, B6, checklist 1–14) in Chromium against the sandbox.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { admin, platformLogin, signIn, snapshot, waitForHydration } from "./helpers";

test.beforeEach(async ({ page }) => {
  await admin(page, "POST", "/reset");
});

async function connectWithPopup(page: import("@playwright/test").Page, provider: string) {
  await waitForHydration(page);
  const popupPromise = page.waitForEvent("popup");
  await page.getByRole("button", { name: `Connect ${provider}` }).click();
  return popupPromise;
}

for (const [provider, id] of [["Google", "google"], ["GitHub", "github"], ["Notion", "notion"]] as const) {
  test(`connect ${provider}: approve an existing credential`, async ({ page }) => {
    await signIn(page);
    const popup = await connectWithPopup(page, provider);
    await popup.locator("#connect-approve").click();
    const card = page.locator(`.provider-card[data-provider="${id}"]`);
    await expect(card.getByText("Connected.")).toBeVisible();
    const item = page.locator(`.connected[data-provider="${id}"]`);
    await expect(item).toContainText("Grant ID:");
    await snapshot(page, `connected-${id}`);
    // Survives a reload: it comes from storage.
    await page.reload();
    await expect(page.locator(`.connected[data-provider="${id}"]`)).toBeVisible();
  });
}

test("deny shows the platform's description as text and allows a retry", async ({ page }) => {
  await signIn(page);
  const popup = await connectWithPopup(page, "GitHub");
  await popup.locator("#connect-deny").click();
  const card = page.locator('.provider-card[data-provider="github"]');
  await expect(card.locator(".banner-error")).toBeVisible();
  await snapshot(page, "connect-denied");
  const retry = await connectWithPopup(page, "GitHub");
  await retry.locator("#connect-approve").click();
  await expect(card.getByText("Connected.")).toBeVisible();
});

test("connect a new account through the simulated provider (bob has none)", async ({ page }) => {
  await signIn(page, "bob@example.com", "bob-password");
  const popup = await connectWithPopup(page, "Notion");
  await expect(popup.locator("#no-credentials")).toBeVisible();
  await popup.locator("#connect-new-account").click();
  await popup.locator("#provider-allow").click();
  await expect(page.locator('.connected[data-provider="notion"]')).toBeVisible();
});

test("a blocked popup shows a plain link instead", async ({ page }) => {
  await signIn(page);
  await waitForHydration(page);
  await page.evaluate(() => {
    window.open = () => null;
  });
  await page.getByRole("button", { name: "Connect Google" }).click();
  const card = page.locator('.provider-card[data-provider="google"]');
  await expect(card.getByText("Your browser blocked the AutoGPT popup")).toBeVisible();
  await expect(card.getByRole("link", { name: "open the AutoGPT connect page" })).toHaveAttribute("href", /\/connect\/google\?/);
});

test("a popup closed without a result does not cancel; the attempt can be retried", async ({ page }) => {
  await signIn(page);
  const popup = await connectWithPopup(page, "Google");
  await popup.close();
  const card = page.locator('.provider-card[data-provider="google"]');
  // Reconciliation finds no new grant: still waiting, nothing shown as failed.
  await expect(card.getByRole("button")).toHaveText("Connecting...");
  await expect(card.locator(".banner-error")).toHaveCount(0);
});

test("forged messages from another origin, or with a wrong nonce or type, are ignored", async ({ page }) => {
  // A third loopback origin serving the attacker's page.
  const attacker = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<!doctype html><script>
      const target = window.opener;
      const nonce = new URLSearchParams(location.search).get("nonce");
      for (const data of [
        { type: "autogpt_connect_result", success: true, nonce, grant_id: "forged", provider: "google" },
        { type: "autogpt_connect_result", success: false, nonce, error: "access_denied", error_description: "<b>forged</b>" },
        "autogpt_connect_result",
        null,
      ]) target.postMessage(data, "*");
      document.title = "sent";
    </script>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  const port = (attacker.address() as AddressInfo).port;
  try {
    await signIn(page);
    const popup = await connectWithPopup(page, "Google");
    const nonce = new URL(popup.url()).searchParams.get("nonce") ?? "";
    // Same-window forgeries with the platform's origin but a wrong nonce or type.
    await page.evaluate((origin) => {
      for (const data of [
        { type: "autogpt_connect_result", success: true, nonce: "guess", grant_id: "forged" },
        { type: "not_ours", success: true, grant_id: "forged" },
        { success: true, grant_id: "forged" },
      ]) window.dispatchEvent(new MessageEvent("message", { origin, data }));
    }, new URL(popup.url()).origin);
    // The popup is taken over by the attacker's origin, which posts with the real nonce. The
    // page navigates itself (a browser-initiated navigation across sites would drop the opener).
    await popup.evaluate((url) => {
      window.location.href = url;
    }, `http://127.0.0.1:${port}/?nonce=${encodeURIComponent(nonce)}`);
    await expect(popup).toHaveTitle("sent");
    const card = page.locator('.provider-card[data-provider="google"]');
    await expect(card.getByRole("button")).toHaveText("Connecting...");
    await expect(card.getByText("Connected.")).toHaveCount(0);
    await expect(card.locator(".banner-error")).toHaveCount(0);
    await expect(page.locator('.connected[data-provider="google"]')).toHaveCount(0);
  } finally {
    attacker.close();
  }
});

test("a grant revoked on the platform disappears live", async ({ page }) => {
  await signIn(page);
  const popup = await connectWithPopup(page, "Google");
  await popup.locator("#connect-approve").click();
  const item = page.locator('.connected[data-provider="google"]');
  await expect(item).toBeVisible();
  // The platform only knows where to send grant.revoked once an execution named our webhook.
  await page.goto("/agents");
  await waitForHydration(page);
  await page.locator("#agent-echo-agent").check();
  await page.getByLabel("message").fill("hello");
  await page.getByRole("button", { name: "Run agent" }).click();
  await expect(page.locator("#execution-status")).toHaveText("completed", { timeout: 20_000 });
  await page.goto("/connect");
  await waitForHydration(page);
  const grants = await admin(page, "GET", "/grants");
  const google = grants.find((g: { provider: string; revoked_at: unknown }) => g.provider === "google" && !g.revoked_at);
  await admin(page, "POST", `/grants/${google.id}/revoke`);
  await expect(page.locator('.connected[data-provider="google"]')).toHaveCount(0, { timeout: 15_000 });
});
