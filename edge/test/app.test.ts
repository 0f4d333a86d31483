import { describe, expect, test } from "bun:test";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { OpenApiDocumentSchema } from "@scripts/testing/openapi-document";
import { expectError, readBody, readError } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { referenceScript } from "../src/routes/docs";

const allowedOrigin = "https://inspections.example.com";
const worker = useTestWorker({ vars: { CORS_ORIGINS: `${allowedOrigin}, https://other.example.com` } });

describe("request ids", () => {
  test("a well-formed incoming X-Request-Id is kept and echoed", async () => {
    const response = await worker.current.fetch("/health", {
      headers: { "X-Request-Id": "scanner-7_run-42" },
    });
    expect(response.headers.get("x-request-id")).toBe("scanner-7_run-42");
  });

  test("a malformed incoming id is replaced by a generated one", async () => {
    const response = await worker.current.fetch("/health", {
      headers: { "X-Request-Id": "bad id <script>" },
    });
    const id = response.headers.get("x-request-id");
    expect(id).not.toBe("bad id <script>");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("errors", () => {
  test("an unknown route answers the standard error body carrying the request id", async () => {
    const response = await worker.current.fetch("/v1/nothing-here");
    expect(response.headers.get("content-type")).toContain("application/json");
    const error = await expectError(response, 404, "not_found");
    expect(error.message).toContain("/v1/nothing-here");
    expect(error.requestId).toBe(response.headers.get("x-request-id") as string);
  });

  test("a wrong method on an existing path answers 405 with Allow, not 404", async () => {
    // Authentication comes first on protected paths; past it, the method is checked.
    const { auth } = await signedInUser(worker.current);
    const headers = { Authorization: auth };
    const me = await worker.current.fetch("/v1/me", { method: "DELETE", headers });
    expect(me.status).toBe(405);
    expect(me.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect((await readError(me)).code).toBe("method_not_allowed");

    const job = await worker.current.fetch(`/v1/jobs/${crypto.randomUUID()}`, {
      method: "PUT",
      headers,
      body: "{}",
    });
    expect(job.status).toBe(405);
    expect(job.headers.get("allow")?.split(", ")).toEqual(expect.arrayContaining(["GET", "HEAD", "OPTIONS"]));
    expect(job.headers.get("allow")).not.toContain("PUT");

    const jobs = await worker.current.fetch("/v1/jobs", { method: "DELETE", headers });
    expect(jobs.headers.get("allow")?.split(", ")).toEqual(expect.arrayContaining(["GET", "POST"]));
    // The connection stays usable: the unread body was settled.
    expect((await worker.current.fetch("/health")).status).toBe(200);
  });
});

describe("security headers", () => {
  test("responses carry the hardening headers", async () => {
    const response = await worker.current.fetch("/health");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("strict-transport-security")).toContain("max-age=");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });
});

describe("CORS", () => {
  test("a configured origin is allowed, with the API's headers exposed", async () => {
    const response = await worker.current.fetch("/health", { headers: { Origin: allowedOrigin } });
    expect(response.headers.get("access-control-allow-origin")).toBe(allowedOrigin);
    expect(response.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
  });

  test("a preflight from a configured origin succeeds", async () => {
    const response = await worker.current.fetch("/health", {
      method: "OPTIONS",
      headers: { Origin: allowedOrigin, "Access-Control-Request-Method": "POST" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(allowedOrigin);
  });

  test("any other origin gets no CORS grant", async () => {
    const response = await worker.current.fetch("/health", {
      headers: { Origin: "https://evil.example.net" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("API documentation", () => {
  test("/openapi.json is an OpenAPI 3.1 document generated from the routes", async () => {
    const response = await worker.current.fetch("/openapi.json");
    const doc = await readBody(response, OpenApiDocumentSchema);
    expect(response.status).toBe(200);
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/health", "/health/ready"]));
    expect(doc.paths["/health/ready"]?.get).toMatchObject({ responses: { "200": {}, "503": {} } });
  });

  test("the job schemas derived from the contracts and the database keep their components", async () => {
    const doc = await readBody(await worker.current.fetch("/openapi.json"), OpenApiDocumentSchema);
    const schemas = doc.components?.schemas ?? {};
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(["Detection", "Job", "CreateJobs", "QueuedJobs", "JobPage", "Error"]),
    );
    const detection = schemas.Detection?.properties ?? {};
    expect(Object.keys(detection)).toEqual([
      "classId",
      "label",
      "score",
      "box",
      "extent",
      "boxNormalized",
      "sizeMm",
    ]);
    expect(detection.label?.example).toBe("porosity");
    const job = schemas.Job?.properties ?? {};
    expect(job.status?.enum).toEqual(["queued", "running", "succeeded", "failed"]);
    expect(Object.keys(job.params?.properties ?? {})).toEqual([
      "conf",
      "iou",
      "maxDet",
      "classes",
      "tiling",
      "pixelSizeMm",
    ]);
    expect(schemas.Error?.properties?.error?.properties?.code?.enum).toEqual(
      expect.arrayContaining(["validation_failed", "image_corrupt", "payload_too_large", "unknown_model"]),
    );
  });

  test("/docs is an interactive reference that loads its script from this origin", async () => {
    const page = await worker.current.fetch("/docs");
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain("/openapi.json");
    expect(html).toContain(`src="${referenceScript}"`);
    expect(html).not.toContain("cdn.jsdelivr.net");

    const script = await worker.current.fetch(referenceScript);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });
});

describe("configuration", () => {
  const misconfigured = useTestWorker({ vars: { HEALTH_CHECK_TIMEOUT_MS: "soon" } });

  test("an invalid setting fails requests with a clean 500 instead of running half-configured", async () => {
    const response = await misconfigured.current.fetch("/health");
    const raw = await response.clone().text();
    const error = await expectError(response, 500, "internal");
    expect(error.message).toBe("Internal server error");
    expect(raw).not.toContain("HEALTH_CHECK_TIMEOUT_MS");
  });
});
