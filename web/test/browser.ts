import { afterAll, beforeAll } from "bun:test";
import { existsSync } from "node:fs";
import { STRONG_PASSWORD, uniqueEmail } from "@scripts/testing/auth-fixtures";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { buildWebApp } from "../build";

/** Debian's Chromium (CI installs it); another build can be named by CHROMIUM_PATH. No download, ever. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumMissing = !existsSync(chromiumPath);
if (chromiumMissing)
  console.warn(`browser tests skipped: no Chromium at ${chromiumPath} (set CHROMIUM_PATH)`);

/** A laptop screen: the size the app is meant to be usable on. */
export const LAPTOP_VIEWPORT = { width: 1366, height: 768 };

/**
 * The web app built and one headless Chromium for the file, before its tests (and before the Worker
 * the file starts next, which serves the built files); the browser is closed after them.
 */
export function useBrowser(): { readonly current: Browser } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    await buildWebApp();
    if (chromiumMissing) return;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      // CI containers run as root, where Chromium's sandbox cannot start.
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get current() {
      if (!browser) throw new Error("browser not started");
      return browser;
    },
  };
}

/** A fresh profile (empty storage) at the worker's origin; page errors fail loudly. */
export async function newPage(
  browser: Browser,
  origin: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: origin,
    viewport: LAPTOP_VIEWPORT,
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().includes("status of 4")) errors.push(message.text());
  });
  (page as Page & { errors: string[] }).errors = errors;
  return { context, page };
}

export const pageErrors = (page: Page) => (page as Page & { errors?: string[] }).errors ?? [];

/**
 * Runs a function in the page. Given as source text: this file is type-checked for the test
 * runtime, which has no DOM types, while the function runs in the browser.
 */
export function inPage<T>(page: Page, source: string, argument?: unknown): Promise<T> {
  return page.evaluate(`(${source})(${JSON.stringify(argument ?? null)})`) as Promise<T>;
}

/** Registers a new account through the app's own form; lands on the images page signed in. */
export async function registerThroughUi(page: Page): Promise<{ email: string; password: string }> {
  const email = uniqueEmail("browser");
  await page.goto("/");
  await page.getByRole("link", { name: "New here? Create an account" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(STRONG_PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Images", exact: true }).waitFor();
  return { email, password: STRONG_PASSWORD };
}
