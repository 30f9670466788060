// Playwright drives Debian's Chromium (/usr/bin/chromium): test tools never
// download a browser here. The servers are started by scripts/e2e.sh, which
// passes their URLs in APP_URL and AUTOGPT_URL.
import { defineConfig } from "@playwright/test";

const appUrl = process.env.APP_URL ?? "http://127.0.0.1:3000";
// scripts/e2e.sh runs each profile's app once: the live specs against the live one only.
const live = process.env.E2E_PROFILE === "live";

export default defineConfig({
  testDir: live ? "./tests/live" : "./tests",
  testIgnore: live ? [] : ["live/**"],
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  outputDir: "test-results",
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  use: {
    baseURL: appUrl,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium" }],
});
