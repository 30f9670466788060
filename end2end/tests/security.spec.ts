// Issue 11 in a real browser: login CSRF from another site, and sign-out everywhere.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { admin, appUrl, signIn } from "./helpers";

test.beforeEach(async ({ page }) => {
  await admin(page, "POST", "/reset");
});

test("item1: an attacker page on another origin auto-submits the API-key form; the victim stays themselves", async ({
  page,
}) => {
  // A third loopback origin with a form that posts the attacker's key to our sign-in route.
  const attacker = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<!doctype html><title>win a prize</title>
      <form id="f" method="post" action="${appUrl}/api/autogpt/authorize">
        <input name="apiKey" value="agpt_bob_dev_key">
      </form>
      <script>document.getElementById("f").submit();</script>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  const port = (attacker.address() as AddressInfo).port;
  try {
    await signIn(page);
    const refused = page.waitForResponse((r) => r.url().startsWith(`${appUrl}/api/autogpt/authorize`));
    await page.goto(`http://127.0.0.1:${port}/`);
    const response = await refused;
    expect(response.status()).toBe(403);
    expect(response.headers()["set-cookie"]).toBeUndefined();
    await page.goto("/connect");
    await expect(page.locator("#signed-in-as")).toContainText("alice@example.com");
  } finally {
    attacker.close();
  }
});

test("item3: signing out in one browser signs the other out, and signing in again does not revive it", async ({
  page,
  browser,
}) => {
  await signIn(page);
  const other = await browser.newContext({ baseURL: appUrl });
  try {
    const second = await other.newPage();
    await signIn(second);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("link", { name: "Sign in with AutoGPT" })).toBeVisible();
    // The other browser's open page hears the sign-out on its event stream and reloads.
    await expect(second.getByRole("link", { name: "Sign in with AutoGPT" })).toBeVisible();
    await signIn(page);
    await second.goto("/connect");
    await expect(second.getByRole("link", { name: "Sign in with AutoGPT" })).toBeVisible();
  } finally {
    await other.close();
  }
});
