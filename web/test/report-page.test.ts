import { describe, expect, test } from "bun:test";
import { reports, users } from "@db/schema";
import { login } from "@scripts/testing/auth-fixtures";
import { getReview, review, succeededJob } from "@scripts/testing/review-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { audit } from "./accessibility-audit";
import { chromiumMissing, newPage, pageErrors, registerThroughUi, useBrowser } from "./browser";
import { fillTechniqueAndPersonnel } from "./report-form";
import { BROWSER_TEST_VARS } from "./worker-vars";

const browser = useBrowser();
const worker = useTestWorker({
  vars: BROWSER_TEST_VARS,
  queueConsumers: { reports: { max_batch_timeout: 0.1 } },
});

/**
 * One film with a slag line and a pore, 0.1 mm per pixel (the weld along the film's width):
 *   slag  px (100,50)-(150,60): 5.00 × 1.00 mm at 10.00–15.00 mm from the left edge;
 *   pore  px (600,50)-(625,75): 2.50 × 2.50 mm at 60.00–62.50 mm, 45 mm from the slag.
 */
const DETECTIONS = [
  { classId: 1, label: "slag_inclusion", score: 0.88, box: { x1: 100, y1: 50, x2: 150, y2: 60 } },
  { classId: 0, label: "porosity", score: 0.81, box: { x1: 600, y1: 50, x2: 625, y2: 75 } },
];

const verdict = (page: Page, value: string) => page.locator(`[data-verdict="${value}"]`).waitFor();
const poreRow = (page: Page) => page.locator("tr[data-outcome]").nth(1);

describe.skipIf(chromiumMissing)("the report page in Chromium", () => {
  test("issuing waits for every indication to be reviewed; the verdict shown is derived from the table", async () => {
    const { context, page } = await newPage(browser.current, worker.current.origin);
    try {
      const credentials = await registerThroughUi(page);
      const [user] = await worker.current.db
        .select({ id: users.id })
        .from(users)
        .where(eq(users.email, credentials.email));
      const { jobId } = await succeededJob(worker.current, user?.id as string, { detections: DETECTIONS });
      await page.goto(`/app/reports?job=${jobId}`);
      await page.getByRole("heading", { name: "New inspection report" }).waitFor();

      // Both detections still pending: the assessment shows them, issuing is refused with a reason.
      await verdict(page, "cannot_evaluate");
      const blocked = page.getByRole("alert").filter({ hasText: "2 indications are still pending review" });
      await blocked.waitFor();
      const issue = page.getByRole("button", { name: "Issue report" });
      expect(await issue.isDisabled()).toBe(true);
      expect(await issue.getAttribute("aria-describedby")).toBe("issue-blocked");
      expect(await page.locator('tr[data-decision="pending"]').count()).toBe(2);
      const toReview = blocked.getByRole("link", { name: /^Review film 1 \(.*\): 2 pending$/ });
      expect(await toReview.getAttribute("href")).toBe(`/app/jobs/${jobId}`);

      const session = await login(worker.current, credentials);
      const auth = `Bearer ${session.accessToken}`;
      const items = (await getReview(worker.current, auth, jobId)).review.items;
      await review(
        worker.current,
        auth,
        jobId,
        items.map((item) => ({ type: "accept", itemId: item.id })),
      );
      // Reviewed elsewhere: asking again clears the block without any change to the form.
      await page.getByRole("button", { name: "Assess again" }).click();
      await blocked.waitFor({ state: "detached" });
      expect(await page.locator('tr[data-decision="accepted"]').count()).toBe(2);

      /*
       * EN ISO 10675-1 level 2, t = 10 mm, 100 mm per film, 12 mm wide, multi-pass (worked as in
       * edge/test/reports/assessment.test.ts): slag h 1 ≤ min(0.3 t, 3) = 3, l 5 ≤ min(t, 50) = 10;
       * pore d 2.5 ≤ min(0.3 t, 4) = 3; pore area 4.9 mm² = 0.41 % of 100 × 12 mm ≤ 3 %: accept.
       */
      await page.getByLabel("Pixel size (mm)").fill("0.1");
      await page.getByLabel("Thickness t (mm)").fill("10");
      await page.getByLabel("Weld length per film (mm)").fill("100");
      await page.getByLabel("Passes").selectOption("multiple");
      // Without the weld's width the porosity area cannot be evaluated, so the weld is not accepted.
      await verdict(page, "cannot_evaluate");
      await page.getByLabel("Weld width (mm)").fill("12");
      await verdict(page, "accept");
      const pore = poreRow(page);
      expect(await pore.locator("td").allTextContents()).toEqual([
        "2",
        "2011 gas pore",
        "porosity",
        "60.00–62.50",
        "2.50",
        "2.50",
        "accepted",
        "accept",
        expect.stringContaining("Table 1, porosity and gas pores (2011, 2012): single pore d"),
      ]);
      // t = 8 mm: d 2.5 > min(0.3 × 8, 4) = 2.4: reject.
      await page.getByLabel("Thickness t (mm)").fill("8");
      await verdict(page, "reject");
      await page.locator('tr[data-outcome="reject"]').waitFor();

      /*
       * ASME VIII-1, t = 12 mm: slag 5 mm elongated (5 > 3 × 1), ≤ 1/4 in. = 6.35 mm (UW-51(b)(2));
       * pore 2.5 mm rounded, isolated (45 mm > 1 in. from the slag), ≤ min(t/3, 1/4 in.) = 4 mm
       * (4-3(c)); charts "within" (4-3(f)): accept. At t = 6 mm the pore is over t/3 = 2 mm: reject.
       */
      await page.getByLabel("Standard").selectOption("asme-viii-1");
      await page.getByLabel("Thickness t (mm)").fill("12");
      await page.getByLabel("Appendix 4 charts").selectOption("within");
      await verdict(page, "accept");
      await page.getByLabel("Thickness t (mm)").fill("6");
      await verdict(page, "reject");
      expect(await poreRow(page).locator("td").nth(8).textContent()).toContain(
        "Mandatory Appendix 4, 4-3(c)",
      );
      await page.getByLabel("Thickness t (mm)").fill("12");
      await verdict(page, "accept");

      await fillTechniqueAndPersonnel(page);
      await page.getByLabel("Weld", { exact: true }).fill("W-17 Łódź");
      // Every field of the form, the override's included, is labelled; the table is readable.
      await page.getByLabel(/^Override the derived verdict/).check();
      await page.getByLabel("Reason for the override").waitFor();
      expect(await audit(page)).toEqual([]);
      await page.getByLabel(/^Override the derived verdict/).uncheck();
      expect(await issue.isDisabled()).toBe(false);
      await issue.click();
      const row = page.locator('tr[data-report-id][data-status="ready"]');
      await row.waitFor({ timeout: 60_000 });
      expect(await row.locator("td").nth(1).textContent()).toBe("accept");
      const [stored] = await worker.current.db
        .select()
        .from(reports)
        .where(eq(reports.ownerId, user?.id as string));
      expect(stored).toMatchObject({
        verdict: "accept",
        derivedVerdict: "accept",
        verdictOverride: null,
        acceptance: { standard: "asme-viii-1", level: "uw-51" },
        weld: {
          thicknessMm: 12,
          lengthMm: 100,
          widthMm: 12,
          passes: "multiple",
          roundedIndicationCharts: "within",
        },
        personnel: { inspector: { name: "Zoë Ünal", certificationScheme: "EN ISO 9712" } },
        header: { weldId: "W-17 Łódź" },
      });
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);
});
