/**
 * What one PDF report of 50 images costs the `reports` consumer, against the Workers limits:
 * CPU time (30 s by default per queue invocation, up to 5 min with `limits.cpu_ms`) and memory
 * (128 MB per isolate). For each kind of stored image, a report of `--images` jobs with
 * `--detections` indications each is rendered `--runs` times by the consumer's own code in
 * workerd (gather, render, SHA-256, R2 put), timed by workerd's CPU time from /proc (which also
 * counts the local R2 and the runtime: an upper bound) and by wall time. Peak memory is measured
 * once per kind in V8 under Node (memory-probe.ts), the engine Workers run.
 *
 *   npm run bench:reports [-- --images 50 --runs 5 --detections 10]
 */

import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { detections, images, jobs, reports, users } from "@db/schema";
import { configSchema } from "@edge/config";
import type { ReportInput } from "@edge/reports/report-input";
import { repoRoot } from "@scripts/local-stack/settings";
import { parseBody, readBody } from "@scripts/testing/responses";
import { runCommand } from "@scripts/testing/run-command";
import { stopSharedServices } from "@scripts/testing/shared-services";
import { startTestWorker } from "@scripts/testing/test-worker";
import sharp, { type Sharp } from "sharp";
import { z } from "zod";
import { median, printTable } from "../stats";

/** The bench Worker's answer for one rendered report (bench-worker.ts). */
const RenderedSchema = z.object({
  pages: z.number().int(),
  bytes: z.number().int(),
  embeddedBytes: z.number().int(),
  decodedPixels: z.number().int(),
});

/** The memory probe's one line of output (memory-probe.ts). */
const ProbeOutputSchema = z.object({
  peakBytes: z.number(),
  pdfBytes: z.number().int(),
  pages: z.number().int(),
});

const { values } = parseArgs({
  options: {
    images: { type: "string", default: "50" },
    runs: { type: "string", default: "5" },
    detections: { type: "string", default: "10" },
  },
});
const IMAGES = Number(values.images);
const RUNS = Number(values.runs);
const DETECTIONS = Number(values.detections);
const PIXEL_SIZE = { x: 0.1, y: 0.1 };
/** Node runs of the memory probe per kind. */
const MEMORY_RUNS = 3;
const WORKERS_CPU_DEFAULT_S = 30;
/** The isolate's limit, 128 MB, in MiB like the other memory figures. */
const WORKERS_MEMORY_MIB = (128 * 1e6) / 2 ** 20;
const defaults = configSchema.shape;
const limits = {
  maxEmbeddedBytes: defaults.REPORT_MAX_EMBEDDED_BYTES.parse(undefined),
  maxDecodedPixels: defaults.REPORT_MAX_DECODED_PIXELS.parse(undefined),
};

type Kind = {
  name: string;
  format: "png" | "jpeg";
  width: number;
  height: number;
  encode: (s: Sharp) => Sharp;
};
const kinds: Kind[] = [
  {
    name: "JPEG 8-bit grey 2000×1500",
    format: "jpeg",
    width: 2000,
    height: 1500,
    encode: (s) => s.toColourspace("b-w").jpeg({ quality: 90 }),
  },
  {
    name: "PNG 8-bit grey 2000×1500",
    format: "png",
    width: 2000,
    height: 1500,
    encode: (s) => s.toColourspace("b-w").png(),
  },
  {
    name: "PNG 16-bit grey 2000×1500",
    format: "png",
    width: 2000,
    height: 1500,
    encode: (s) => s.toColourspace("grey16").png(),
  },
  { name: "PNG 8-bit RGB 2000×1500", format: "png", width: 2000, height: 1500, encode: (s) => s.png() },
  {
    name: "PNG with alpha 1000×750 (decoded)",
    format: "png",
    width: 1000,
    height: 750,
    encode: (s) => s.ensureAlpha().png(),
  },
];

/** A radiograph stand-in: a bright weld band across a darker plate, with film grain. */
function radiograph(width: number, height: number, seed: number): Buffer {
  const pixels = Buffer.alloc(width * height);
  let state = seed;
  for (let y = 0; y < height; y++) {
    const band = 60 * Math.exp(-(((y - height / 2) / (height / 8)) ** 2));
    for (let x = 0; x < width; x++) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      pixels[y * width + x] = Math.round(90 + band + ((state >> 16) % 13) - 6);
    }
  }
  return pixels;
}

/** CPU ticks of each running workerd process, from /proc. */
function workerdTicks(): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (stat.slice(stat.indexOf("(") + 1, close) !== "workerd") continue;
      const fields = stat
        .slice(close + 2)
        .split(" ")
        .map(Number);
      ticks.set(Number(entry), (fields[11] ?? 0) + (fields[12] ?? 0));
    } catch {}
  }
  return ticks;
}

/** workerd CPU seconds between two snapshots, over the processes alive in both. */
function cpuSecondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, start] of before) ticks += Math.max(0, (after.get(pid) ?? start) - start);
  return ticks / 100;
}

const scratch = await mkdtemp(join(tmpdir(), "bench-reports-"));
const probe = join(scratch, "memory-probe.js");
await runCommand(
  join(repoRoot, "node_modules/.bin/bun"),
  ["build", "scripts/bench/reports/memory-probe.ts", "--target=node", `--outfile=${probe}`],
  { cwd: repoRoot },
);
const worker = await startTestWorker({
  entry: "scripts/bench/reports/bench-worker.ts",
  vars: { LOG_LEVEL: "error" },
});
const rows: Array<Array<string | number>> = [];
try {
  const [user] = await worker.db
    .insert(users)
    .values({ email: "bench@example.com", passwordHash: "$argon2id$unused" })
    .returning();
  if (!user) throw new Error("no user");
  const bucket = await worker.mf.getR2Bucket("IMAGES");
  for (const kind of kinds) {
    process.stderr.write(`${kind.name}: preparing ${IMAGES} images\n`);
    const jobIds: string[] = [];
    const files: Record<string, string> = {};
    const probeImages: ReportInput["images"] = [];
    for (let i = 0; i < IMAGES; i++) {
      const raw = sharp(radiograph(kind.width, kind.height, i + 1), {
        raw: { width: kind.width, height: kind.height, channels: 1 },
      });
      const bytes = new Uint8Array(await kind.encode(raw).toBuffer());
      const objectKey = `images/${user.id}/${crypto.randomUUID()}`;
      await bucket.put(objectKey, bytes);
      const [image] = await worker.db
        .insert(images)
        .values({
          ownerId: user.id,
          objectKey,
          format: kind.format,
          width: kind.width,
          height: kind.height,
          bitDepth: 8,
          bytes: bytes.length,
          sha256: "0".repeat(64),
        })
        .returning();
      const [job] = await worker.db
        .insert(jobs)
        .values({
          ownerId: user.id,
          imageId: image?.id as string,
          model: "weld-defects",
          modelVersion: "1.0.0",
          modelSha256: "a".repeat(64),
          params: { conf: 0.25, iou: 0.45, maxDet: 300, classes: null },
          status: "succeeded",
        })
        .returning();
      const found = Array.from({ length: DETECTIONS }, (_, rank) => {
        const x1 = (rank * 97) % (kind.width - 200);
        const y1 = kind.height / 2 - 60 + ((rank * 31) % 80);
        return {
          jobId: job?.id as string,
          rank,
          classId: rank % 4,
          label: ["porosity", "slag", "crack", "undercut"][rank % 4] as string,
          score: 0.5 + (rank % 5) / 10,
          x1,
          y1,
          x2: x1 + 120,
          y2: y1 + 50,
        };
      });
      const inserted = await worker.db.insert(detections).values(found).returning();
      jobIds.push(job?.id as string);
      const path = join(scratch, `${image?.id}.${kind.format}`);
      await Bun.write(path, bytes);
      files[image?.id as string] = path;
      probeImages.push({
        jobId: job?.id as string,
        imageId: image?.id as string,
        objectKey,
        filename: null,
        format: kind.format,
        width: kind.width,
        height: kind.height,
        storedBytes: bytes.length,
        model: { name: "weld-defects", version: "1.0.0", sha256: "a".repeat(64) },
        reviewVersion: 0,
        pixelSizeMm: PIXEL_SIZE,
        pixelSizeSource: "report" as const,
        items: inserted.map((d) => ({
          id: d.id,
          source: "model" as const,
          original: {
            classId: d.classId,
            label: d.label,
            score: d.score,
            box: { x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2 },
          },
          rowId: null,
          decision: "pending" as const,
          classId: d.classId,
          label: d.label,
          box: { x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2 },
          note: null,
          updatedAt: null,
          updatedBy: null,
        })),
      });
    }
    const storedMb = probeImages.reduce((sum, image) => sum + image.storedBytes, 0) / 2 ** 20;
    const [report] = await worker.db
      .insert(reports)
      .values({
        ownerId: user.id,
        sequence: kinds.indexOf(kind) + 1,
        jobs: jobIds.map((jobId) => ({ jobId, pixelSizeMm: PIXEL_SIZE, pixelSizeSource: "report" as const })),
        header: { customer: "Bench" },
        verdict: "accept",
      })
      .returning();
    const cpu: number[] = [];
    const wall: number[] = [];
    let result = { pages: 0, bytes: 0, embeddedBytes: 0, decodedPixels: 0 };
    for (let run = 0; run <= RUNS; run++) {
      const cpuBefore = workerdTicks();
      const started = performance.now();
      const response = await worker.fetch(`/render/${report?.id}`);
      if (response.status !== 200)
        throw new Error(`render answered ${response.status}: ${await response.text()}`);
      result = await readBody(response, RenderedSchema);
      // The first run warms the isolate and is not counted.
      if (run === 0) continue;
      wall.push((performance.now() - started) / 1000);
      cpu.push(cpuSecondsBetween(cpuBefore, workerdTicks()));
    }
    const spec = join(scratch, "spec.json");
    await Bun.write(
      spec,
      JSON.stringify({
        input: {
          number: "RPT-BENCH",
          createdAt: new Date().toISOString(),
          header: {},
          verdict: "accept",
          images: probeImages,
        },
        files,
        limits,
      }),
    );
    const peaks: number[] = [];
    for (let probeRun = 0; probeRun < MEMORY_RUNS; probeRun++) {
      const memory = Bun.spawnSync(["node", "--expose-gc", probe, spec]);
      if (memory.exitCode !== 0) throw new Error(memory.stderr.toString());
      peaks.push(parseBody(memory.stdout.toString(), ProbeOutputSchema, "memory probe").peakBytes / 2 ** 20);
    }
    const spread = (samples: number[]) =>
      `${Math.min(...samples).toFixed(2)}–${Math.max(...samples).toFixed(2)}`;
    rows.push([
      kind.name,
      storedMb.toFixed(1),
      (result.embeddedBytes / 2 ** 20).toFixed(1),
      (result.decodedPixels / 1e6).toFixed(1),
      result.pages,
      (result.bytes / 2 ** 20).toFixed(1),
      median(cpu).toFixed(2),
      spread(cpu),
      median(wall).toFixed(2),
      `${((median(cpu) / WORKERS_CPU_DEFAULT_S) * 100).toFixed(0)}%`,
      median(peaks).toFixed(0),
      spread(peaks),
      `${((Math.max(...peaks) / WORKERS_MEMORY_MIB) * 100).toFixed(0)}%`,
    ]);
  }
  console.log(
    `\n${IMAGES} images × ${DETECTIONS} indications per report, ${RUNS} runs each (after one warm-up); REPORT_MAX_EMBEDDED_BYTES ${limits.maxEmbeddedBytes / 2 ** 20} MiB, REPORT_MAX_DECODED_PIXELS ${limits.maxDecodedPixels}\n`,
  );
  printTable(
    [
      "stored images",
      "stored MiB",
      "embedded MiB",
      "decoded Mpx",
      "pages",
      "PDF MiB",
      "workerd CPU s (median)",
      "CPU spread",
      "wall s (median)",
      `CPU vs ${WORKERS_CPU_DEFAULT_S} s`,
      "peak memory MiB (V8, median)",
      "memory spread",
      "worst memory vs 128 MB",
    ],
    rows,
  );
} finally {
  await worker.dispose();
  await stopSharedServices();
  await rm(scratch, { recursive: true, force: true });
}
