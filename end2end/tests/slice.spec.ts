// The first vertical slice: SSR, hydration, health, and the sandbox's discovery document.
import { expect, test } from "@playwright/test";
import { platformUrl, snapshot, waitForHydration } from "./helpers";

test("connect page is rendered on the server with the sign-in panel", async ({ browser }) => {
  // JavaScript off: what the server sent, nothing else.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/connect");
  await expect(page.getByRole("heading", { name: "Connect to AutoGPT" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in with AutoGPT" })).toHaveAttribute(
    "href",
    "/api/autogpt/authorize",
  );
  await expect(page.getByText("Or use API key instead")).toBeVisible();
  await expect(page.locator("[data-hydrated]")).toHaveAttribute("data-hydrated", "false");
  await context.close();
});

test("the hydrated toggle switches to the API-key form without a reload", async ({ page }) => {
  await page.goto("/connect");
  await waitForHydration(page);
  await page.getByText("Or use API key instead").click();
  // Handled by the island in the browser: the URL did not change.
  await expect(page).toHaveURL(/\/connect$/);
  const key = page.getByLabel("Enter your AutoGPT API key");
  await expect(key).toBeVisible();
  await expect(key).toHaveAttribute("type", "password");
  await expect(page.getByRole("button", { name: "Authorize with API Key" })).toBeVisible();
  await snapshot(page, "connect-api-key-form");
  await page.getByText("Back to sign in").click();
  await expect(page.getByRole("link", { name: "Sign in with AutoGPT" })).toBeVisible();
  await snapshot(page, "connect-sign-in");
});

test("the toggle also works without JavaScript (plain link)", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/connect");
  await page.getByText("Or use API key instead").click();
  await expect(page).toHaveURL(/method=api_key/);
  await expect(page.getByLabel("Enter your AutoGPT API key")).toBeVisible();
  await context.close();
});

test("healthz answers JSON", async ({ request }) => {
  const response = await request.get("/healthz");
  expect(response.status()).toBe(200);
  expect(await response.json()).toMatchObject({ status: "ok" });
});

test("the sandbox platform publishes its OpenID configuration", async ({ request }) => {
  const response = await request.get(`${platformUrl}/.well-known/openid-configuration`);
  expect(response.status()).toBe(200);
  const doc = await response.json();
  expect(doc.authorization_endpoint).toBe(`${platformUrl}/oauth/authorize`);
  expect(doc.token_endpoint).toBe(`${platformUrl}/oauth/token`);
  expect(doc.revocation_endpoint).toBe(`${platformUrl}/oauth/revoke`);
  expect(doc.userinfo_endpoint).toBe(`${platformUrl}/oauth/userinfo`);
});

test("item44: the WASM bundle, its lazy chunks and its JS carry no server secret", async ({ request }) => {
  // The split build lists every lazily loaded module in its manifest.
  const manifest = await request.get("/pkg/__wasm_split_manifest.json");
  expect(manifest.status()).toBe(200);
  const chunks = new Set<string>(Object.values(await manifest.json()).flat() as string[]);
  expect(chunks.size).toBeGreaterThan(2);
  const paths = ["/pkg/autogpt-connect.wasm", "/pkg/autogpt-connect.js", "/pkg/__wasm_split.______________________.js"];
  paths.push(...[...chunks].map((name) => `/pkg/${name}.wasm`));
  for (const path of paths) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(200);
    const body = (await response.body()).toString("latin1");
    // The real module, not an error page: a lazy chunk can be a few hundred bytes (the run
    // page's status island is 272), so check what it is rather than how big.
    if (path.endsWith(".wasm")) {
      expect(body.startsWith("\0asm"), `${path} is a WebAssembly module`).toBe(true);
    } else {
      expect(body.length, path).toBeGreaterThan(300);
    }
    // The development client secret and webhook secret (the app's defaults in this run),
    // and the names of the server-only secret settings.
    for (const secret of ["dev-client-secret", "whsec_dev", "APP_SECRET", "client_secret"]) {
      expect(body.includes(secret), `${secret} in ${path}`).toBe(false);
    }
  }
});
