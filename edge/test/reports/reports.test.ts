import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { images, jobs, reports } from "@db/schema";
import { ReportAssessmentResponseSchema, ReportPageSchema, ReportSchema } from "@edge/routes/reports/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { DEFAULT_PARAMS, eventually, insertImage, insertJob, MODEL } from "@scripts/testing/job-fixtures";
import { acceptAll, PERSONNEL, reportBody, TECHNIQUE } from "@scripts/testing/report-fixtures";
import { readError } from "@scripts/testing/responses";
import { getReview, review, succeededJob } from "@scripts/testing/review-fixtures";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";
import sharp from "sharp";

/** Poppler checks the PDF from the outside; CI installs it (poppler-utils). */
const poppler = Bun.which("pdftotext") !== null && Bun.which("pdftoppm") !== null;
if (!poppler)
  console.warn("reports.test.ts: pdftotext/pdftoppm not found; the PDF content checks are skipped");

const webhookBodies: Array<{
  type: string;
  data: { report?: { id: string; sha256: string; number: string } };
}> = [];
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (request) => {
    webhookBodies.push(JSON.parse(await request.text()));
    return new Response(null, { status: 204 });
  },
});
const scratch = await mkdtemp(join(tmpdir(), "report-test-"));
afterAll(async () => {
  receiver.stop(true);
  await rm(scratch, { recursive: true, force: true });
});

const worker = useTestWorker({
  vars: {
    RATE_LIMIT_WRITE: "1000/60s",
    RATE_LIMIT_READ: "1000/60s",
    REPORT_MAX_JOBS: "3",
    WEBHOOK_ALLOW_INSECURE_URLS: "true",
  },
  queueConsumers: {
    reports: { max_batch_timeout: 0.1 },
    webhooks: { max_batch_timeout: 0.1 },
  },
});

const GREY = 128;
/** The lifecycle report's pages: cover, acceptance assessment, one per image. */
const PAGES = 4;
/** A uniform grey radiograph stand-in, so the drawn boxes are easy to find in a page render. */
const greyImage = (format: "png" | "jpeg") => {
  const image = sharp(Buffer.alloc(640 * 480, GREY), { raw: { width: 640, height: 480, channels: 1 } });
  // A plain copy: Miniflare's R2 proxy refuses Node's pooled Buffers.
  return (format === "png" ? image.png() : image.jpeg({ quality: 95 }))
    .toBuffer()
    .then((b) => new Uint8Array(b));
};

const json = (auth: string) => ({ Authorization: auth, "Content-Type": "application/json" });

function createReport(auth: string, body: unknown) {
  return worker.current.fetch("/v1/reports", {
    method: "POST",
    headers: json(auth),
    body: JSON.stringify(body),
  });
}

function assess(auth: string, body: unknown) {
  return worker.current.fetch("/v1/reports/assessment", {
    method: "POST",
    headers: json(auth),
    body: JSON.stringify(body),
  });
}

/** A succeeded job with both its detections accepted, ready to be reported on. */
async function reviewedJob(session: { auth: string; user: { id: string } }) {
  const job = await succeededJob(worker.current, session.user.id);
  await acceptAll(worker.current, session.auth, job.jobId);
  return job;
}

async function readReport(auth: string, id: string) {
  const response = await worker.current.fetch(`/v1/reports/${id}`, { headers: { Authorization: auth } });
  expect(response.status).toBe(200);
  return ReportSchema.parse(await response.json());
}

const settled = (auth: string, id: string) =>
  eventually(
    async () => {
      const report = await readReport(auth, id);
      return report.status === "ready" || report.status === "failed" ? report : undefined;
    },
    60_000,
    `report ${id} settled`,
  );

function run(command: string[]): string {
  const result = Bun.spawnSync(command);
  if (result.exitCode !== 0) throw new Error(`${command[0]} failed: ${result.stderr.toString()}`);
  return result.stdout.toString();
}

/** The lifecycle scenario, arranged once: two reviewed jobs, a webhook, a report rendered by the consumer. */
async function arrangeReadyReport() {
  const session = await signedInUser(worker.current);
  const webhook = await worker.current.fetch("/v1/webhooks", {
    method: "POST",
    headers: json(session.auth),
    body: JSON.stringify({ url: `http://127.0.0.1:${receiver.port}/hook`, events: ["report.ready"] }),
  });
  expect(webhook.status).toBe(201);
  const weld = await succeededJob(worker.current, session.user.id, { bytes: await greyImage("png") });
  const casting = await succeededJob(worker.current, session.user.id, {
    bytes: await greyImage("jpeg"),
    format: "jpeg",
  });
  const [porosity, crack] = (await getReview(worker.current, session.auth, weld.jobId)).review.items;
  await review(worker.current, session.auth, weld.jobId, [
    { type: "accept", itemId: porosity?.id },
    { type: "reject", itemId: crack?.id },
    {
      type: "add",
      classId: 4,
      label: "undercut",
      box: { x1: 400, y1: 300, x2: 560, y2: 420 },
      note: "seen on the film, missed by the model",
    },
  ]);
  await acceptAll(worker.current, session.auth, casting.jobId);
  const created = await createReport(
    session.auth,
    reportBody([weld.jobId, casting.jobId], {
      header: {
        customer: "Acme Pipelines",
        partId: "P-2231",
        weldId: "W-17",
        inspectionMethod: "RT",
        inspectionDate: "2026-11-30",
        remarks: "Root pass re-inspected after grinding.",
      },
      pixelSizeMmByJob: { [weld.jobId]: 0.1 },
    }),
  );
  expect(created.status).toBe(202);
  const queued = ReportSchema.parse(await created.json());
  expect(created.headers.get("location")).toBe(`/v1/reports/${queued.id}`);
  const ready = await settled(session.auth, queued.id);
  const download = await worker.current.fetch(`/v1/reports/${queued.id}/pdf`, {
    headers: { Authorization: session.auth },
  });
  const pdf = new Uint8Array(await download.arrayBuffer());
  const path = join(scratch, `${queued.id}.pdf`);
  await Bun.write(path, pdf);
  return { ...session, weld, casting, queued, ready, download, pdf, path };
}
let scenario: ReturnType<typeof arrangeReadyReport> | undefined;
const ready = () => {
  scenario ??= arrangeReadyReport();
  return scenario;
};

describe("report lifecycle through the reports queue", () => {
  test("POST answers 202 queued with a number; the consumer renders it, stores it and records its sha256", async () => {
    const { queued, ready: report, download, pdf } = await ready();
    // Weld: the accepted 9.95 mm pore is over 0.3 t = 3 mm (reject); the drawn undercut has no
    // depth (cannot be evaluated). Casting: no pixel size (cannot be evaluated). Any reject wins.
    expect(queued).toMatchObject({
      status: "queued",
      number: "RPT-00001",
      verdict: "reject",
      derivedVerdict: "reject",
      verdictOverride: null,
      acceptance: { standard: "en-iso-10675-1", level: 2 },
      technique: TECHNIQUE,
      sha256: null,
      pdfUrl: null,
    });
    expect(queued.assessment?.films.map((film) => film.verdict)).toEqual(["reject", "cannot_evaluate"]);
    expect(queued.assessment?.films[0]?.indications.map((each) => [each.label, each.outcome])).toEqual([
      ["porosity", "reject"],
      ["undercut", "cannot_evaluate"],
    ]);
    expect(queued.jobs[0]).toMatchObject({ pixelSizeMm: { x: 0.1, y: 0.1 }, pixelSizeSource: "report" });
    expect(queued.jobs[1]).toMatchObject({ pixelSizeMm: null, pixelSizeSource: null });
    expect(report.status).toBe("ready");
    expect(report.error).toBeNull();
    expect(report.attempts).toBe(1);
    expect(report.pageCount).toBe(PAGES);
    expect(report.detectionSet).toBe("reviewed");
    // Taken when the report was issued; the PDF is rendered from those versions.
    const versions = { [queued.jobs[0]?.jobId as string]: 1, [queued.jobs[1]?.jobId as string]: 1 };
    expect(queued.reviewVersions).toEqual(versions);
    expect(report.reviewVersions).toEqual(versions);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/pdf");
    expect(download.headers.get("content-disposition")).toBe('attachment; filename="RPT-00001.pdf"');
    const sha256 = createHash("sha256").update(pdf).digest("hex");
    expect(report.sha256).toBe(sha256);
    expect(report.bytes).toBe(pdf.length);
    expect(download.headers.get("etag")).toBe(`"${sha256}"`);
    expect(download.headers.get("repr-digest")).toBe(
      `sha-256=:${createHash("sha256").update(pdf).digest("base64")}:`,
    );
    expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe("%PDF-");
  });

  test("report.ready is delivered through the webhooks with the report's sha256", async () => {
    const { ready: report } = await ready();
    const delivered = await eventually(
      async () => webhookBodies.find((body) => body.data.report?.id === report.id),
      20_000,
      "report.ready delivery",
    );
    expect(delivered.type).toBe("report.ready");
    expect(delivered.data.report).toMatchObject({ sha256: report.sha256, number: "RPT-00001" });
  });

  test.skipIf(!poppler)(
    "pdftotext finds the fields, the model sha256, table rows, counts and verdict",
    async () => {
      const { path } = await ready();
      const text = run(["pdftotext", "-layout", path, "-"]);
      for (const expected of [
        "INSPECTION REPORT",
        "Report RPT-00001",
        "Acme Pipelines",
        "P-2231",
        "W-17",
        "2026-11-30",
        "Inspector: J. Smith, EN ISO 9712 level 2, certificate 12345",
        "Reviewer: A. Jones, EN ISO 9712 level 3, certificate 67890",
        "Root pass re-inspected after grinding.",
        `sha256 ${MODEL.sha256}`,
        `${MODEL.name} version ${MODEL.version}`,
        "VERDICT: REJECT",
        "Note: seen on the film, missed by the model",
        `RPT-00001 · page ${PAGES} of ${PAGES}`,
      ]) {
        expect(text).toContain(expected);
      }
      const flat = text.replace(/\s+/g, " ");
      expect(flat).toContain("Standard: EN ISO 10675-1:2016, acceptance level 2");
      expect(flat).toContain("Source: X-ray tube, 250 kV, focal spot 3 mm");
      expect(flat).toContain("1 2011 0 porosity 1.05–11.00 9.95 6.05 accepted reject");
      expect(flat).toContain("3 5011 4 undercut 40.00–56.00 16.00 12.00 accepted cannot be evaluated");
      expect(flat).toContain("Pixel size unknown: no size in mm, so no indication can be evaluated.");
      const lines = text.split("\n").map((line) => line.trim().split(/\s{2,}/));
      // Per-class counts of the reviewed set: weld (porosity accepted, crack rejected, undercut
      // drawn) and casting (porosity and crack accepted).
      expect(lines).toContainEqual(["0 porosity", "2", "0", "2"]);
      expect(lines).toContainEqual(["2 crack", "1", "0", "1"]);
      expect(lines).toContainEqual(["4 undercut", "1", "0", "1"]);
      expect(lines).toContainEqual(["All classes", "4", "0", "4"]);
      // The weld's table, with millimetres (pixel size 0.1 mm).
      expect(lines).toContainEqual([
        "1",
        "0 porosity",
        "10.5,20.3-110.0,80.8",
        "99.5×60.5",
        "9.95×6.05*",
        "0.91",
        "model",
        "accepted",
      ]);
      expect(lines).toContainEqual([
        "2",
        "2 crack",
        "300.0,40.0-420.1,95.0",
        "120.1×55.0",
        "12.01×5.50*",
        "0.42",
        "model",
        "rejected",
      ]);
      expect(lines).toContainEqual([
        "3",
        "4 undercut",
        "400.0,300.0-560.0,420.0",
        "160.0×120.0",
        "16.00×12.00*",
        "-",
        "reviewer",
        "accepted",
      ]);
      // The casting's table, without a pixel size: no millimetres.
      expect(lines).toContainEqual([
        "1",
        "0 porosity",
        "10.5,20.3-110.0,80.8",
        "99.5×60.5",
        "0.91",
        "model",
        "accepted",
      ]);
    },
  );

  test.skipIf(!poppler)(
    "pdftoppm renders the reviewed boxes in their colours over the radiograph, rejected ones not at all",
    async () => {
      const { path } = await ready();
      const weld = await renderedImage(path, PAGES - 1);
      // Accepted porosity: a red left edge, grey inside.
      expect(weld.near(10.5, 50, red)).toBe(true);
      expect(weld.near(60, 50, red)).toBe(false);
      // The drawn undercut: red right edge.
      expect(weld.near(560, 360, red)).toBe(true);
      // The rejected crack is not drawn.
      expect(weld.near(300, 67, (rgb) => !neutral(rgb))).toBe(false);
      // The casting (JPEG): its accepted detections are drawn too, not in the pending colour.
      const casting = await renderedImage(path, PAGES);
      expect(casting.near(10.5, 50, red)).toBe(true);
      expect(casting.near(10.5, 50, orange)).toBe(false);
    },
  );
});

type Rgb = [number, number, number];
const red = ([r, g, b]: Rgb) => r > 200 && g < 80 && b < 80;
const orange = ([r, g, b]: Rgb) => r > 200 && g > 100 && g < 180 && b < 80;
const neutral = ([r, g, b]: Rgb) => Math.abs(r - g) <= 2 && Math.abs(g - b) <= 2;

/**
 * Renders one page at 72 dpi (1 px per point) and locates the radiograph on it: the rows and
 * columns that are mostly its uniform grey (anti-aliased text has grey pixels too, but never
 * hundreds in a line). `near` tests a point given in image pixels, within 2 px (strokes are
 * anti-aliased).
 */
async function renderedImage(path: string, page: number) {
  const prefix = join(scratch, `page-${page}`);
  run(["pdftoppm", "-f", String(page), "-l", String(page), "-r", "72", "-png", "-singlefile", path, prefix]);
  const { data, info } = await sharp(`${prefix}.png`)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number): Rgb => {
    const i = (Math.round(y) * info.width + Math.round(x)) * 3;
    return [data[i] as number, data[i + 1] as number, data[i + 2] as number];
  };
  const isGrey = (x: number, y: number) => at(x, y).every((v) => Math.abs(v - GREY) <= 3);
  const rows = Array.from(
    { length: info.height },
    (_, y) => Array.from({ length: info.width }, (_, x) => isGrey(x, y)).filter(Boolean).length,
  );
  const imageRows = rows.flatMap((count, y) => (count > info.width / 2 ? [y] : []));
  const top = Math.min(...imageRows);
  const bottom = Math.max(...imageRows);
  const columns = Array.from({ length: info.width }, (_, x) => imageRows.filter((y) => isGrey(x, y)).length);
  const imageColumns = columns.flatMap((count, x) => (count > imageRows.length / 2 ? [x] : []));
  const left = Math.min(...imageColumns);
  const scale = (Math.max(...imageColumns) - left + 1) / 640;
  expect((bottom - top + 1) / 480).toBeCloseTo(scale, 1);
  return {
    near(x: number, y: number, predicate: (rgb: Rgb) => boolean): boolean {
      const px = left + x * scale;
      const py = top + y * scale;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) if (predicate(at(px + dx, py + dy))) return true;
      }
      return false;
    },
  };
}

describe("owner only", () => {
  test("another user gets 404 for the report and its PDF and does not see it listed", async () => {
    const { ready: report, auth } = await ready();
    const intruder = await signedInUser(worker.current);
    const headers = { Authorization: intruder.auth };
    expect((await worker.current.fetch(`/v1/reports/${report.id}`, { headers })).status).toBe(404);
    const pdf = await worker.current.fetch(`/v1/reports/${report.id}/pdf`, { headers });
    expect(pdf.status).toBe(404);
    expect((await readError(pdf)).code).toBe("not_found");
    const theirs = ReportPageSchema.parse(
      await (await worker.current.fetch("/v1/reports", { headers })).json(),
    );
    expect(theirs.items).toHaveLength(0);
    const mine = ReportPageSchema.parse(
      await (
        await worker.current.fetch("/v1/reports?status=ready", { headers: { Authorization: auth } })
      ).json(),
    );
    expect(mine.items.map((r) => r.id)).toContain(report.id);
  });

  test("reports and assessments cannot name another user's jobs (404)", async () => {
    const { weld } = await ready();
    const intruder = await signedInUser(worker.current);
    for (const response of [
      await createReport(intruder.auth, reportBody([weld.jobId])),
      await assess(intruder.auth, {
        jobIds: [weld.jobId],
        acceptance: { standard: "asme-viii-1", level: "uw-51" },
      }),
    ]) {
      expect(response.status).toBe(404);
      const error = await readError(response);
      expect(error.code).toBe("not_found");
      expect(error.details).toEqual({ jobIds: [weld.jobId] });
    }
  });
});

describe("pixel sizes", () => {
  test("the request's pixel size wins, else the job's, else the image's (DICONDE), else none", async () => {
    const session = await signedInUser(worker.current);
    const { auth } = session;
    const fromImage = await reviewedJob(session);
    await worker.current.db
      .update(images)
      .set({ pixelSizeMm: { x: 0.2, y: 0.25, source: "dicom_pixel_spacing" } })
      .where(eq(images.id, fromImage.imageId));
    const fromJob = await reviewedJob(session);
    await worker.current.db
      .update(jobs)
      .set({ params: { ...DEFAULT_PARAMS, pixelSizeMm: { x: 0.05, y: 0.05 } } })
      .where(eq(jobs.id, fromJob.jobId));
    const unknown = await reviewedJob(session);
    const overridden = await reviewedJob(session);
    await worker.current.db
      .update(images)
      .set({ pixelSizeMm: { x: 0.2, y: 0.2, source: "upload" } })
      .where(eq(images.id, overridden.imageId));
    const response = await createReport(auth, reportBody([fromImage.jobId, fromJob.jobId, unknown.jobId]));
    expect(response.status).toBe(202);
    const report = ReportSchema.parse(await response.json());
    expect(report.jobs.map((j) => [j.pixelSizeMm, j.pixelSizeSource])).toEqual([
      [{ x: 0.2, y: 0.25 }, "dicom_pixel_spacing"],
      [{ x: 0.05, y: 0.05 }, "job"],
      [null, null],
    ]);
    // The job's own parameter overrides the image's DICONDE spacing: kept, so the report warns.
    expect(report.jobs.map((j) => j.calibrationOverridden)).toEqual([null, null, null]);
    const given = await createReport(
      auth,
      reportBody([overridden.jobId], { pixelSizeMmByJob: { [overridden.jobId]: { x: 0.11, y: 0.12 } } }),
    );
    expect(ReportSchema.parse(await given.json()).jobs[0]).toEqual({
      jobId: overridden.jobId,
      pixelSizeMm: { x: 0.11, y: 0.12 },
      pixelSizeSource: "report",
      // An upload's stated size is no calibration of the film's own.
      calibrationOverridden: null,
    });
  });

  test("a stated pixel size that overrides a film's DICONDE spacing is recorded for the warning", async () => {
    const session = await signedInUser(worker.current);
    const film = await reviewedJob(session);
    await worker.current.db
      .update(images)
      .set({ pixelSizeMm: { x: 0.2, y: 0.25, source: "dicom_pixel_spacing" } })
      .where(eq(images.id, film.imageId));
    const response = await createReport(session.auth, reportBody([film.jobId], { pixelSizeMm: 0.1 }));
    expect(response.status).toBe(202);
    const report = ReportSchema.parse(await response.json());
    const overridden = { x: 0.2, y: 0.25, source: "dicom_pixel_spacing" } as const;
    expect(report.jobs[0]?.calibrationOverridden).toEqual(overridden);
    expect(report.assessment?.films[0]?.calibrationOverridden).toEqual(overridden);

    // A size stated on the image itself that replaced its DICONDE spacing warns just the same.
    const stated = await reviewedJob(session);
    await worker.current.db
      .update(images)
      .set({ pixelSizeMm: { x: 0.1, y: 0.1, source: "stated", overrides: overridden } })
      .where(eq(images.id, stated.imageId));
    const fromImage = ReportSchema.parse(
      await (await createReport(session.auth, reportBody([stated.jobId]))).json(),
    );
    expect(fromImage.jobs[0]).toMatchObject({ pixelSizeSource: "stated", calibrationOverridden: overridden });
  });
});

describe("numbers", () => {
  test("concurrent reports of one owner get distinct consecutive numbers; another owner starts at 1", async () => {
    const a = await signedInUser(worker.current);
    const job = await reviewedJob(a);
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => createReport(a.auth, reportBody([job.jobId]))),
    );
    const numbers = await Promise.all(answers.map(async (r) => ReportSchema.parse(await r.json()).number));
    expect(numbers.sort()).toEqual(["RPT-00001", "RPT-00002", "RPT-00003", "RPT-00004"]);
    const b = await signedInUser(worker.current);
    const other = await reviewedJob(b);
    const first = ReportSchema.parse(await (await createReport(b.auth, reportBody([other.jobId]))).json());
    expect(first.number).toBe("RPT-00001");
  });

  test("a retried request with its Idempotency-Key gets the same report, not a second number", async () => {
    const session = await signedInUser(worker.current);
    const { auth, user } = session;
    const job = await reviewedJob(session);
    const send = (body: unknown) =>
      worker.current.fetch("/v1/reports", {
        method: "POST",
        headers: { ...json(auth), "Idempotency-Key": "weld-17-report" },
        body: JSON.stringify(body),
      });
    const body = reportBody([job.jobId]);
    const first = await send(body);
    const again = await send(body);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    const [a, b] = [ReportSchema.parse(await first.json()), ReportSchema.parse(await again.json())];
    expect(b.id).toBe(a.id);
    expect(b.number).toBe("RPT-00001");
    expect(again.headers.get("Location")).toBe(`/v1/reports/${a.id}`);
    const rows = await worker.current.db.select().from(reports).where(eq(reports.ownerId, user.id));
    expect(rows).toHaveLength(1);

    const other = await send({ ...body, header: { remarks: "another body" } });
    expect(other.status).toBe(409);
    expect((await readError(other)).code).toBe("idempotency_key_reused");
  });
});

describe("failures", () => {
  test("a report whose job is gone fails with the reason, without retrying", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const [row] = await worker.current.db
      .insert(reports)
      .values({
        ownerId: user.id,
        sequence: 1,
        jobs: [{ jobId: crypto.randomUUID(), pixelSizeMm: null, pixelSizeSource: null }],
        header: {},
        verdict: "accept",
      })
      .returning();
    const queue = await worker.current.mf.getQueueProducer("REPORT_QUEUE");
    await queue.send({ version: 1, reportId: row?.id });
    const failed = await settled(auth, row?.id as string);
    expect(failed.status).toBe("failed");
    expect(failed.error).toStartWith("input_gone: job ");
    expect(failed.attempts).toBe(1);
    const pdf = await worker.current.fetch(`/v1/reports/${failed.id}/pdf`, {
      headers: { Authorization: auth },
    });
    expect(pdf.status).toBe(409);
    expect((await readError(pdf)).code).toBe("report_not_ready");
  });

  test("a report whose review changed after it was issued fails rather than contradict its verdict", async () => {
    const session = await signedInUser(worker.current);
    const job = await reviewedJob(session);
    const [row] = await worker.current.db
      .insert(reports)
      .values({
        ownerId: session.user.id,
        sequence: 1,
        jobs: [{ jobId: job.jobId, pixelSizeMm: null, pixelSizeSource: null }],
        header: {},
        verdict: "accept",
        reviewVersions: { [job.jobId]: 0 },
      })
      .returning();
    const queue = await worker.current.mf.getQueueProducer("REPORT_QUEUE");
    await queue.send({ version: 1, reportId: row?.id });
    const failed = await settled(session.auth, row?.id as string);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain(
      `the review of job ${job.jobId} changed since the report was issued (version 0 → 1)`,
    );
  });

  test("a report not rendered yet is 409 report_not_ready", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const [row] = await worker.current.db
      .insert(reports)
      .values({ ownerId: user.id, sequence: 1, jobs: [], header: {}, verdict: "accept" })
      .returning();
    const response = await worker.current.fetch(`/v1/reports/${row?.id}/pdf`, {
      headers: { Authorization: auth },
    });
    expect(response.status).toBe(409);
    expect((await readError(response)).details).toMatchObject({ status: "queued" });
  });
});

describe("bad input", () => {
  test.each([
    ["no jobs", { jobIds: [] }],
    ["a typed verdict (verdicts are derived)", { verdict: "accept" }],
    ["an override without a reason", { verdictOverride: { verdict: "accept" } }],
    ["an override with a blank reason", { verdictOverride: { verdict: "accept", reason: "   " } }],
    ["an override to cannot_evaluate", { verdictOverride: { verdict: "cannot_evaluate", reason: "why" } }],
    ["an over-long override reason", { verdictOverride: { verdict: "accept", reason: "x".repeat(2001) } }],
    ["an unknown standard", { acceptance: { standard: "api-1104", level: 1 } }],
    ["a level the standard lacks", { acceptance: { standard: "en-iso-10675-1", level: 4 } }],
    ["ASME with an ISO level", { acceptance: { standard: "asme-viii-1", level: 2 } }],
    ["a zero thickness", { weld: { thicknessMm: 0 } }],
    ["an unknown weld field", { weld: { depthMm: 3 } }],
    ["no technique", { technique: undefined }],
    ["a technique without an IQI", { technique: { ...TECHNIQUE, iqi: undefined } }],
    [
      "an isotope the report does not know",
      { technique: { ...TECHNIQUE, source: { kind: "isotope", isotope: "Cs-137" } } },
    ],
    [
      "a film density over 6",
      { technique: { ...TECHNIQUE, detector: { kind: "film", system: "C5", density: 7 } } },
    ],
    ["no inspector", { personnel: { reviewer: PERSONNEL.reviewer } }],
    [
      "an over-long inspector name",
      { personnel: { inspector: { ...PERSONNEL.inspector, name: "x".repeat(201) } } },
    ],
    ["a certification level 4", { personnel: { inspector: { ...PERSONNEL.inspector, level: "4" } } }],
    ["a header technique (structured now)", { header: { technique: "DWSI 250 kV" } }],
    ["a date that is not a date", { header: { inspectionDate: "30/11/2026" } }],
    ["a negative pixel size", { pixelSizeMm: -0.1 }],
    ["a pixel size for a job not in the report", { pixelSizeMmByJob: { [crypto.randomUUID()]: 0.1 } }],
    ["an over-long field", { header: { customer: "x".repeat(201) } }],
  ])("%s is 400 validation_failed", async (_name, overrides) => {
    const session = await signedInUser(worker.current);
    const { jobId } = await reviewedJob(session);
    const response = await createReport(session.auth, { ...reportBody([jobId]), ...overrides });
    expect(response.status).toBe(400);
    expect((await readError(response)).code).toBe("validation_failed");
    const rows = await worker.current.db.select().from(reports).where(eq(reports.ownerId, session.user.id));
    expect(rows).toHaveLength(0);
  });

  test("more jobs than REPORT_MAX_JOBS is 400 too_many_images; a job without a result is 409", async () => {
    const session = await signedInUser(worker.current);
    const { user, auth } = session;
    const jobIds = await Promise.all(
      Array.from({ length: 4 }, async () => (await reviewedJob(session)).jobId),
    );
    const tooMany = await createReport(auth, reportBody(jobIds));
    expect(tooMany.status).toBe(400);
    expect((await readError(tooMany)).code).toBe("too_many_images");
    const image = await insertImage(worker.current, user.id);
    const queuedJob = await insertJob(worker.current, user.id, image.id);
    const unfinished = await createReport(auth, reportBody([jobIds[0] as string, queuedJob]));
    expect(unfinished.status).toBe(409);
    expect((await readError(unfinished)).details).toEqual({ jobIds: [queuedJob] });
    const list = ReportPageSchema.parse(
      await (await worker.current.fetch("/v1/reports", { headers: { Authorization: auth } })).json(),
    );
    expect(list.items).toHaveLength(0);
  });
});

describe("issuing", () => {
  test("refused with 409 review_pending, naming how many, while any indication is pending", async () => {
    const session = await signedInUser(worker.current);
    const done = await reviewedJob(session);
    const open = await succeededJob(worker.current, session.user.id);
    const [porosity] = (await getReview(worker.current, session.auth, open.jobId)).review.items;
    await review(worker.current, session.auth, open.jobId, [{ type: "accept", itemId: porosity?.id }]);
    const refused = await createReport(session.auth, reportBody([done.jobId, open.jobId]));
    expect(refused.status).toBe(409);
    const error = await readError(refused);
    expect(error.code).toBe("review_pending");
    expect(error.message).toContain("1 indication(s) still pending review");
    expect(error.details).toEqual({ pending: 1, jobs: [{ jobId: open.jobId, pending: 1 }] });
    expect(
      await worker.current.db.select().from(reports).where(eq(reports.ownerId, session.user.id)),
    ).toEqual([]);

    // The assessment is still there to see; issuing works once the last one is reviewed.
    const preview = await assess(session.auth, {
      jobIds: [done.jobId, open.jobId],
      acceptance: { standard: "en-iso-10675-1", level: 2 },
    });
    expect(preview.status).toBe(200);
    expect(ReportAssessmentResponseSchema.parse(await preview.json()).pending).toBe(1);
    await acceptAll(worker.current, session.auth, open.jobId);
    expect((await createReport(session.auth, reportBody([done.jobId, open.jobId]))).status).toBe(202);
  });

  test("the verdict is derived; an override with its reason replaces it and both are kept", async () => {
    const session = await signedInUser(worker.current);
    const job = await reviewedJob(session);
    // No pixel size anywhere: nothing can be measured, so the derived verdict cannot be "accept".
    const derived = ReportSchema.parse(
      await (await createReport(session.auth, reportBody([job.jobId]))).json(),
    );
    expect(derived).toMatchObject({
      verdict: "cannot_evaluate",
      derivedVerdict: "cannot_evaluate",
      verdictOverride: null,
    });
    expect(derived.assessment?.missingFields).toEqual(["pixelSizeMm"]);

    const override = {
      verdict: "accept",
      reason: "Sized on the original film with a calibrated scale.",
    } as const;
    const response = await createReport(session.auth, reportBody([job.jobId], { verdictOverride: override }));
    expect(response.status).toBe(202);
    const overridden = ReportSchema.parse(await response.json());
    expect(overridden).toMatchObject({
      verdict: "accept",
      derivedVerdict: "cannot_evaluate",
      verdictOverride: override,
    });
    expect(await readReport(session.auth, overridden.id)).toMatchObject({ verdictOverride: override });
  });

  test("POST /v1/reports/assessment grades without storing; missing weld inputs never give accept", async () => {
    const session = await signedInUser(worker.current);
    const job = await reviewedJob(session);
    const body = {
      jobIds: [job.jobId],
      acceptance: { standard: "en-iso-10675-1", level: 2 },
      pixelSizeMm: 0.01,
    };
    // Porosity 0.995 × 0.605 mm; the crack is rejected at any level.
    const withoutT = ReportAssessmentResponseSchema.parse(await (await assess(session.auth, body)).json());
    expect(withoutT.verdict).toBe("reject");
    expect(withoutT.films[0]?.indications.map((each) => [each.iso6520?.code, each.outcome])).toEqual([
      ["2011", "cannot_evaluate"],
      ["100", "reject"],
    ]);
    expect(withoutT.missingFields).toContain("thicknessMm");
    const [, crack] = (await getReview(worker.current, session.auth, job.jobId)).review.items;
    await review(worker.current, session.auth, job.jobId, [{ type: "reject", itemId: crack?.id }]);
    const porosityOnly = ReportAssessmentResponseSchema.parse(
      await (await assess(session.auth, body)).json(),
    );
    expect(porosityOnly.verdict).toBe("cannot_evaluate");
    const withT = ReportAssessmentResponseSchema.parse(
      await (
        await assess(session.auth, {
          ...body,
          weld: { thicknessMm: 10, lengthMm: 100, widthMm: 12, passes: "single" },
        })
      ).json(),
    );
    expect(withT.verdict).toBe("accept");
    expect(withT.films[0]?.indications[0]?.rule?.id).toBe("en-iso-10675-1.single-pore");
    expect(
      await worker.current.db.select().from(reports).where(eq(reports.ownerId, session.user.id)),
    ).toEqual([]);
    const bad = await assess(session.auth, { ...body, acceptance: { standard: "asme-viii-1", level: 3 } });
    expect(bad.status).toBe(400);
    expect((await readError(bad)).code).toBe("validation_failed");
  });
});
