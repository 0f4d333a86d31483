/**
 * Issue #24 through the whole system: nine generated films digitised onto one 3840 × 3840 16-bit
 * sheet, written as libtiff writes TIFF (uncompressed strips, the directory after 29 MB of pixels),
 * upload to the edge Worker (workerd), are detected in tiles by the real inference service with the
 * shipped model, and keep at least 80 % of the recall the same nine films get one by one.
 */
import { describe, expect, test } from "bun:test";
import type { Tiling } from "@common/contracts/tiling";
import { ImageSchema } from "@edge/routes/images/schema";
import { JobSchema, QueuedJobsSchema } from "@edge/routes/jobs/schema";
import { planScene } from "@generator/film";
import { encodeTiff } from "@generator/png";
import { deriveSeed, Rng } from "@generator/prng";
import { createPlane, type Plane } from "@generator/raster";
import { type Label, renderSample } from "@generator/sample";
import { iou } from "@inference/postprocess/boxes";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { readBody } from "@scripts/testing/responses";
import { useFullStack } from "./full-stack-fixture";

const stack = useFullStack({ intraOpThreads: 1 });

/** One film per cell: the default model saw 480–1,280 px films at its 320 px input. */
const CELL = 1280;
/** Films near the cell's size, so a cell-sized tile shows each at about the scale it has alone. */
const MIN_LONG_SIDE = 1150;
/** The light box between films on the digitiser's sheet. */
const SHEET = 0.55;

/** The first nine seeds whose films are long enough and carry defects (the scene alone decides the size). */
function nineFilms() {
  const films: Array<{ image: Plane; labels: Label[] }> = [];
  for (let i = 0; films.length < 9; i++) {
    const seed = deriveSeed(24, "mosaic", i);
    const scene = planScene(new Rng(deriveSeed(seed, "scene")), 320);
    if (Math.max(scene.width, scene.height) < MIN_LONG_SIDE) continue;
    const sample = renderSample(seed, { imgsz: 320 });
    if (sample.labels.length > 0) films.push(sample);
  }
  return films;
}

/** The films centred in a 3 × 3 grid of cells, with their labels moved along. */
function mosaic(films: Array<{ image: Plane; labels: Label[] }>) {
  const sheet = createPlane(3 * CELL, 3 * CELL, SHEET);
  const labels: Label[] = [];
  films.forEach(({ image, labels: own }, n) => {
    const x0 = (n % 3) * CELL + Math.floor((CELL - image.width) / 2);
    const y0 = Math.floor(n / 3) * CELL + Math.floor((CELL - image.height) / 2);
    for (let y = 0; y < image.height; y++) {
      sheet.data.set(
        image.data.subarray(y * image.width, (y + 1) * image.width),
        (y0 + y) * sheet.width + x0,
      );
    }
    for (const { classId, box } of own) {
      labels.push({ classId, box: { x1: box.x1 + x0, y1: box.y1 + y0, x2: box.x2 + x0, y2: box.y2 + y0 } });
    }
  });
  return { image: sheet, labels };
}

async function upload(auth: string, tiff: Buffer) {
  const response = await stack.worker.fetch("/v1/images", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "image/tiff", "Content-Length": String(tiff.length) },
    body: tiff,
  });
  expect(response.status).toBe(201);
  return readBody(response, ImageSchema);
}

async function detect(auth: string, imageIds: string[], tiling: Tiling) {
  const created = await stack.worker.fetch("/v1/jobs", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify({ imageIds, tiling }),
  });
  const { jobs } = await readBody(created, QueuedJobsSchema);
  const done = [];
  for (const { id } of jobs) {
    let job = await readBody(
      await stack.worker.fetch(`/v1/jobs/${id}`, { headers: { Authorization: auth } }),
      JobSchema,
    );
    for (let waits = 0; waits < 6 && (job.status === "queued" || job.status === "running"); waits++) {
      const response = await stack.worker.fetch(`/v1/jobs/${id}?wait=60`, {
        headers: { Authorization: auth },
      });
      job = await readBody(response, JobSchema);
    }
    expect(job.status).toBe("succeeded");
    done.push(job);
  }
  return done;
}

type Detections = NonNullable<Awaited<ReturnType<typeof detect>>[number]["detections"]>;
const found = (labels: Label[], detections: Detections) =>
  labels.filter((label) =>
    detections.some((d) => d.classId === label.classId && iou(d.box, label.box) >= 0.5),
  ).length;

describe("a 3 × 3 mosaic of films, its TIFF directory after the pixels, full stack", () => {
  test("uploads, is detected in tiles, and keeps ≥ 80 % of the nine films' recall", async () => {
    const films = nineFilms();
    const sheet = mosaic(films);
    const tiff = await encodeTiff(sheet.image, 16, "detector", { organisation: "strips" });
    expect(tiff.length).toBeGreaterThan(29_000_000);
    expect(tiff.readUInt32LE(4)).toBeGreaterThan(29_000_000);
    const { auth } = await signedInUser(stack.worker);

    const singles = [];
    for (const film of films)
      singles.push(await upload(auth, await encodeTiff(film.image, 16, "detector", {})));
    const oneByOne = await detect(
      auth,
      singles.map((image) => image.id),
      "auto",
    );
    const labels = films.reduce((sum, film) => sum + film.labels.length, 0);
    const alone = films.reduce((sum, film, n) => sum + found(film.labels, oneByOne[n]?.detections ?? []), 0);

    const image = await upload(auth, tiff);
    expect(image).toMatchObject({ format: "tiff", width: 3 * CELL, height: 3 * CELL, bitDepth: 16 });
    const [job] = await detect(auth, [image.id], { tileSize: CELL, overlap: 0.2, wholeImage: false });
    expect(job?.timings?.tiles).toBeGreaterThan(9);
    const together = found(sheet.labels, job?.detections ?? []);

    console.info(
      `mosaic recall ${together}/${labels} = ${(together / labels).toFixed(3)}; ` +
        `films one by one ${alone}/${labels} = ${(alone / labels).toFixed(3)}`,
    );
    expect(labels).toBeGreaterThanOrEqual(15);
    expect(alone / labels).toBeGreaterThan(0.5);
    expect(together / labels).toBeGreaterThanOrEqual(0.8 * (alone / labels));
  }, 400_000);
});
