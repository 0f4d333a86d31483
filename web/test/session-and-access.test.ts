import { describe, expect, test } from "bun:test";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import type { Page } from "playwright-core";
import { REFRESH_TOKEN_KEY } from "../src/api/client";
import { audit } from "./accessibility-audit";
import { chromiumMissing, inPage, newPage, pageErrors, registerThroughUi, useBrowser } from "./browser";
import { BROWSER_TEST_VARS } from "./worker-vars";

const browser = useBrowser();
const stack = useWorkerWithStubInference({ vars: BROWSER_TEST_VARS });

/** What has focus: its role-ish tag and its name, for comparing focus orders. */
const FOCUSED = `() => {
  const el = document.activeElement;
  const rect = el.getBoundingClientRect();
  return { tag: el.tagName.toLowerCase(), name: (el.getAttribute("aria-label") || el.textContent || el.id).trim(), visible: rect.width > 0 && rect.height > 0 };
}`;

async function tabOrder(page: Page, presses: number) {
  await page.locator("body").focus();
  const order: Array<{ tag: string; name: string; visible: boolean }> = [];
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press("Tab");
    order.push(await inPage(page, FOCUSED));
  }
  return order;
}

describe.skipIf(chromiumMissing)("sessions, API keys and accessibility in Chromium", () => {
  test("a reload keeps the tab's session; signing out ends it on the server and in the tab", async () => {
    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      const { email } = await registerThroughUi(page);
      await page.goto("/app/api-keys");
      await page.getByRole("heading", { name: "API keys", exact: true }).waitFor();
      expect(await page.getByText(email).count()).toBe(1);
      const refreshToken = await inPage<string | null>(
        page,
        `() => sessionStorage.getItem(${JSON.stringify(REFRESH_TOKEN_KEY)})`,
      );
      expect(refreshToken).toBeTruthy();
      // The access token is never written anywhere a script on another page load could read it.
      const stored = await inPage<string>(
        page,
        "() => JSON.stringify({ ...sessionStorage, ...localStorage })",
      );
      expect(stored).not.toContain("eyJ");

      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in", exact: true }).waitFor();
      expect(await inPage<number>(page, "() => sessionStorage.length + localStorage.length")).toBe(0);
      await page.reload();
      await page.getByRole("heading", { name: "Sign in", exact: true }).waitFor();
      // The sign-in was revoked: its refresh token no longer works anywhere.
      const reused = await stack.worker.fetch("/v1/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refreshToken }),
      });
      expect(reused.status).toBe(401);
      await reused.body?.cancel();
    } finally {
      await context.close();
    }
  }, 60_000);

  test("an expired access token is refreshed once and the call retried; a failed refresh signs out", async () => {
    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      await registerThroughUi(page);
      const refreshes: string[] = [];
      page.on("request", (request) => {
        if (request.url().endsWith("/v1/auth/refresh")) refreshes.push(request.url());
      });
      // The API answers the next key listing as it does for an expired token.
      await page.route(
        "**/v1/api-keys",
        (route) =>
          route.fulfill({
            status: 401,
            contentType: "application/json",
            body: JSON.stringify({
              error: { code: "unauthorized", message: "Token expired", requestId: "x" },
            }),
          }),
        { times: 1 },
      );
      await page.getByRole("link", { name: "API keys" }).click();
      await page.getByRole("heading", { name: "API keys", exact: true }).waitFor();
      await page.getByRole("table", { name: "Your keys" }).waitFor();
      expect(refreshes).toHaveLength(1);
      expect(await page.getByRole("alert").count()).toBe(0);

      // Create a key: its secret is shown once, then only its prefix.
      await page.getByLabel("Name").fill("line-3 scanner");
      await page.getByRole("button", { name: "Create key" }).click();
      const secret = (await page.getByTestId("new-api-key").textContent()) as string;
      expect(secret).toStartWith("ddk_");
      const check = await stack.worker.fetch("/v1/images", {
        headers: { Authorization: `Bearer ${secret}` },
      });
      expect(check.status).toBe(200);
      await check.body?.cancel();
      await page.getByRole("button", { name: "Done" }).click();
      expect(await page.getByText(secret).count()).toBe(0);
      const row = page.locator("tr", { hasText: "line-3 scanner" });
      expect(await row.getByRole("cell", { name: "active" }).count()).toBe(1);

      page.once("dialog", (dialog) => dialog.accept());
      await row.getByRole("button", { name: "Revoke line-3 scanner" }).click();
      await row.getByRole("cell", { name: "revoked" }).waitFor();
      const revoked = await stack.worker.fetch("/v1/images", {
        headers: { Authorization: `Bearer ${secret}` },
      });
      expect(revoked.status).toBe(401);
      await revoked.body?.cancel();

      // Expired access token and a refused refresh: back to the sign-in page, nothing kept.
      const expired = {
        status: 401,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "unauthorized", message: "Invalid", requestId: "x" } }),
      };
      await page.route("**/v1/api-keys", (route) => route.fulfill(expired));
      await page.route("**/v1/auth/refresh", (route) => route.fulfill(expired));
      await page.getByRole("link", { name: "Images" }).click();
      await page.getByRole("link", { name: "API keys" }).click();
      await page.getByRole("heading", { name: "Sign in", exact: true }).waitFor();
      expect(await inPage<number>(page, "() => sessionStorage.length")).toBe(0);
    } finally {
      await context.close();
    }
  }, 60_000);

  test("every page has labelled fields, named controls, sane focus order and AA contrast", async () => {
    const { context, page } = await newPage(browser.current, stack.worker.origin);
    try {
      await page.goto("/");
      await page.getByRole("heading", { name: "Sign in", exact: true }).waitFor();
      expect(await audit(page)).toEqual([]);
      const signInOrder = await tabOrder(page, 4);
      expect(signInOrder.map((entry) => entry.name)).toEqual([
        "email",
        "password",
        "Sign in",
        "New here? Create an account",
      ]);

      await registerThroughUi(page);
      expect(await audit(page)).toEqual([]);
      // Skip link first, then the sections in reading order, then sign out, then the page.
      const order = await tabOrder(page, 11);
      expect(order.slice(0, 10).map((entry) => entry.name)).toEqual([
        "Skip to content",
        "Images",
        "Jobs",
        "Reports",
        "Datasets",
        "Trainings",
        "Models",
        "API keys",
        "Sign out",
        "file-input",
      ]);
      expect(order.every((entry) => entry.visible)).toBe(true);

      // Upload through the file input (the keyboard path), then start a job and open it.
      await page.locator("#file-input").setInputFiles({
        name: "casting-7.png",
        mimeType: "image/png",
        buffer: await imageFixtures.png(320, 240),
      });
      await page.locator('li[data-upload-state="done"]').waitFor();
      expect(await audit(page)).toEqual([]);
      // Inference is down until the page shows the job queued; then the row must turn
      // succeeded in place, from the event stream, without the list being read again.
      await stack.inference.stop();
      const listReads: string[] = [];
      page.on("request", (request) => {
        if (new URL(request.url()).pathname === "/v1/jobs" && request.method() === "GET")
          listReads.push(request.url());
      });
      await page.getByRole("button", { name: "Start 1 job" }).click();
      await page.locator('tr[data-status="queued"]').waitFor();
      const readsWhileQueued = listReads.length;
      stack.inference.start();
      await page.locator('tr[data-status="succeeded"]').waitFor({ timeout: 30_000 });
      expect(listReads.length).toBe(readsWhileQueued);
      expect(await audit(page)).toEqual([]);
      await page.getByRole("link", { name: "Open viewer" }).click();
      await page.locator('[data-testid="film"][data-image-ready="true"][data-reviewable="true"]').waitFor();
      await page.getByRole("button", { name: /^porosity/ }).click();
      await page.getByTestId("review-panel").waitFor();
      expect(await audit(page)).toEqual([]);

      // Keyboard zoom changes the view's transform; "0" fits it back.
      const transform = () => page.getByTestId("film").getAttribute("data-transform");
      const fitted = await transform();
      await page.getByTestId("film").focus();
      await page.keyboard.press("+");
      await page.waitForTimeout(50);
      const zoomed = JSON.parse((await transform()) as string) as { scale: number };
      expect(zoomed.scale).toBeGreaterThan((JSON.parse(fitted as string) as { scale: number }).scale);
      await page.keyboard.press("0");
      await page.waitForTimeout(50);
      expect(await transform()).toBe(fitted);

      // Job filters: by status, kept in the URL.
      await page.goto("/app/jobs");
      await page.locator('tr[data-status="succeeded"]').waitFor();
      await page.getByLabel("Status").selectOption("failed");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.waitForURL("**/app/jobs?status=failed");
      await page.getByText("No job matches these filters.").waitFor();
      expect(await page.locator("tr[data-job-id]").count()).toBe(0);
      await page.getByLabel("Status").selectOption("succeeded");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.locator('tr[data-status="succeeded"]').waitFor();

      for (const path of ["/app/reports", "/app/api-keys", "/app/jobs"]) {
        await page.goto(path);
        await page.locator("main h1").waitFor();
        expect({ path, problems: await audit(page) }).toEqual({ path, problems: [] });
      }
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);
});
