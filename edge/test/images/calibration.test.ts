/**
 * Issue #23: an image's pixel size stated after upload or measured from a reference of known
 * length drawn on the film, and what it records when it replaces the film's own calibration.
 */
import { describe, expect, test } from "bun:test";
import { ImageSchema } from "@edge/routes/images/schema";
import { createApiKey, signedInUser } from "@scripts/testing/auth-fixtures";
import { DICOM_FIXTURE_SPACING, imageFixtures } from "@scripts/testing/image-fixtures";
import { OpenApiDocumentSchema } from "@scripts/testing/openapi-document";
import { expectError, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";

const worker = useTestWorker({ vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" } });

async function uploaded(auth: string, fixture: "png" | "dicom", query = "") {
  const bytes = await imageFixtures[fixture]();
  const response = await worker.current.fetch(`/v1/images${query}`, {
    method: "POST",
    headers: {
      Authorization: auth,
      "Content-Type": fixture === "dicom" ? "application/dicom" : "image/png",
      "Content-Length": String(bytes.length),
    },
    body: bytes,
  });
  return readBody(response, ImageSchema);
}

const calibrate = (auth: string, id: string, body: unknown) =>
  worker.current.fetch(`/v1/images/${id}/calibration`, {
    method: "PUT",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const uncalibrate = (auth: string, id: string) =>
  worker.current.fetch(`/v1/images/${id}/calibration`, {
    method: "DELETE",
    headers: { Authorization: auth },
  });

const getImage = async (auth: string, id: string) =>
  readBody(await worker.current.fetch(`/v1/images/${id}`, { headers: { Authorization: auth } }), ImageSchema);

describe("calibration: accepted", () => {
  test("a stated value replaces the upload's, and the image shows it from then on", async () => {
    const { auth } = await signedInUser(worker.current);
    const image = await uploaded(auth, "png", "?pixelSizeMm=0.2");
    const response = await calibrate(auth, image.id, { pixelSizeMm: { x: 0.1, y: 0.12 } });
    expect(response.status).toBe(200);
    expect((await readBody(response, ImageSchema)).pixelSizeMm).toEqual({
      x: 0.1,
      y: 0.12,
      source: "stated",
    });
    expect((await getImage(auth, image.id)).pixelSizeMm).toEqual({ x: 0.1, y: 0.12, source: "stated" });
  });

  test("a reference line of 40 px drawn along 10 mm gives 0.25 mm per pixel and is kept", async () => {
    const { auth } = await signedInUser(worker.current);
    const image = await uploaded(auth, "png");
    const reference = { x1: 10, y1: 40, x2: 34, y2: 8, lengthMm: 10 };
    const response = await calibrate(auth, image.id, { reference });
    expect(response.status).toBe(200);
    const calibrated = (await readBody(response, ImageSchema)).pixelSizeMm;
    expect(calibrated).toEqual({ x: 0.25, y: 0.25, source: "reference", reference });
    expect(calibrated?.overrides).toBeUndefined();
  });

  test("over a DICONDE film's own spacing: the film's shape is kept and the override recorded", async () => {
    const { auth } = await signedInUser(worker.current);
    const image = await uploaded(auth, "dicom");
    const own = { ...DICOM_FIXTURE_SPACING, source: "dicom_pixel_spacing" as const };
    expect(image.pixelSizeMm).toEqual(own);
    // 30 px along x: the x pixel size is 6 mm / 30 px; y keeps the film's 0.06/0.05 ratio.
    const response = await calibrate(auth, image.id, {
      reference: { x1: 5, y1: 20, x2: 35, y2: 20, lengthMm: 6 },
    });
    const calibrated = (await readBody(response, ImageSchema)).pixelSizeMm;
    expect(calibrated?.source).toBe("reference");
    expect(calibrated?.x).toBeCloseTo(0.2, 12);
    expect(calibrated?.y).toBeCloseTo(0.24, 12);
    expect(calibrated?.overrides).toEqual(own);

    // A second calibration still names the film's own value, not the first calibration.
    const stated = await readBody(await calibrate(auth, image.id, { pixelSizeMm: 0.07 }), ImageSchema);
    expect(stated.pixelSizeMm).toEqual({ x: 0.07, y: 0.07, source: "stated", overrides: own });

    const removed = await uncalibrate(auth, image.id);
    expect(removed.status).toBe(200);
    expect((await readBody(removed, ImageSchema)).pixelSizeMm).toEqual(own);
  });

  test("removing a PNG's calibration leaves it without a pixel size", async () => {
    const { auth } = await signedInUser(worker.current);
    const image = await uploaded(auth, "png");
    await calibrate(auth, image.id, { pixelSizeMm: 0.1 });
    expect((await readBody(await uncalibrate(auth, image.id), ImageSchema)).pixelSizeMm).toBeNull();
  });
});

describe("calibration: refused", () => {
  test.each([
    ["zero pixel size", { pixelSizeMm: 0 }],
    ["negative pixel size", { pixelSizeMm: -0.1 }],
    ["pixel size over 100 mm", { pixelSizeMm: 101 }],
    ["a string", { pixelSizeMm: "0.1" }],
    ["both forms at once", { pixelSizeMm: 0.1, reference: { x1: 0, y1: 0, x2: 40, y2: 0, lengthMm: 5 } }],
    ["neither form", {}],
    ["a zero length", { reference: { x1: 0, y1: 0, x2: 40, y2: 0, lengthMm: 0 } }],
    ["a negative coordinate", { reference: { x1: -1, y1: 0, x2: 40, y2: 0, lengthMm: 5 } }],
    ["a line of 19 px", { reference: { x1: 0, y1: 0, x2: 19, y2: 0, lengthMm: 5 } }],
    ["a line leaving the 64×48 image", { reference: { x1: 0, y1: 10, x2: 65, y2: 10, lengthMm: 5 } }],
    [
      "a reference giving over 100 mm per pixel",
      { reference: { x1: 0, y1: 0, x2: 40, y2: 0, lengthMm: 9000 } },
    ],
  ])("%s: 400 validation_failed, and the image is unchanged", async (_name, body) => {
    const { auth } = await signedInUser(worker.current);
    const image = await uploaded(auth, "png", "?pixelSizeMm=0.2");
    await expectError(await calibrate(auth, image.id, body), 400, "validation_failed");
    expect((await getImage(auth, image.id)).pixelSizeMm).toEqual({ x: 0.2, y: 0.2, source: "upload" });
  });

  test("a body that is not JSON: 400 malformed_json", async () => {
    const { auth } = await signedInUser(worker.current);
    const image = await uploaded(auth, "png");
    await expectError(await calibrate(auth, image.id, "{"), 400, "malformed_json");
  });

  test("a key with only images:read gets 403 insufficient_scope", async () => {
    const { auth } = await signedInUser(worker.current);
    const image = await uploaded(auth, "png");
    const { key } = await createApiKey(worker.current, auth, ["images:read"]);
    const bearer = `Bearer ${key}`;
    await expectError(await calibrate(bearer, image.id, { pixelSizeMm: 0.1 }), 403, "insufficient_scope");
    await expectError(await uncalibrate(bearer, image.id), 403, "insufficient_scope");
  });
});

describe("calibration: documented", () => {
  test("both methods are in the API document, with the request's two forms", async () => {
    const doc = await readBody(await worker.current.fetch("/openapi.json"), OpenApiDocumentSchema);
    const path = doc.paths["/v1/images/{id}/calibration"];
    expect(path?.put).toBeDefined();
    expect(path?.delete).toBeDefined();
    expect(JSON.stringify(doc.components?.schemas?.CalibrationRequest)).toContain("lengthMm");
  });
});

describe("calibration: tenant isolation", () => {
  test("another user's image answers 404 to both, and keeps its pixel size", async () => {
    const owner = await signedInUser(worker.current);
    const other = await signedInUser(worker.current);
    const image = await uploaded(owner.auth, "png", "?pixelSizeMm=0.2");
    await expectError(await calibrate(other.auth, image.id, { pixelSizeMm: 0.1 }), 404, "not_found");
    await expectError(await uncalibrate(other.auth, image.id), 404, "not_found");
    await expectError(
      await calibrate(other.auth, crypto.randomUUID(), { pixelSizeMm: 0.1 }),
      404,
      "not_found",
    );
    expect((await getImage(owner.auth, image.id)).pixelSizeMm).toEqual({ x: 0.2, y: 0.2, source: "upload" });
  });
});
