import { beforeEach, describe, expect, mock, test } from "bun:test";
import { reportBody } from "@scripts/testing/report-fixtures";
import { ApiFailure, createApiClient } from "../src/api/client";

type Call = { method: string; path: string; headers: Headers; body: unknown };
type Answer = (call: Call) => Response;

const calls: Call[] = [];
let answer: Answer = () => Response.json({});
let accepted = "access-1";

/** A scripted edge behind the app's one client; 401 for any access token but `accepted`. */
const client = createApiClient({
  fetch: async (path, init = {}) => {
    const headers = new Headers(init.headers as Headers | undefined);
    const body = typeof init.body === "string" ? JSON.parse(init.body) : null;
    const call = { method: init.method ?? "GET", path, headers, body };
    if (path === "/v1/auth/login" || path === "/v1/auth/refresh") {
      return Response.json({ accessToken: accepted, refreshToken: `refresh-${accepted}`, user: {} });
    }
    calls.push(call);
    if (headers.get("authorization") !== `Bearer ${accepted}`) {
      return Response.json({ error: { code: "unauthorized", message: "Token expired" } }, { status: 401 });
    }
    return answer(call);
  },
  storage: { getItem: () => null, setItem: () => undefined, removeItem: () => undefined },
});
mock.module("../src/api/instance", () => ({ api: client }));

const { createJobs, getJob, listJobs } = await import("../src/api/jobs");
const { getImageContent, listImages } = await import("../src/api/images");
const { getReview, isStale, postReviewActions } = await import("../src/api/reviews");
const { createReport, listReports } = await import("../src/api/reports");
const { createApiKey, revokeApiKey } = await import("../src/api/api-keys");

const jobId = "0197a3c2-5a41-7c3e-8a8d-2f1e5b9c0a11";

beforeEach(async () => {
  calls.length = 0;
  answer = () => Response.json({});
  accepted = "access-1";
  await client.signIn("inspector@example.com", "a long enough password");
});

describe("typed endpoints: requests", () => {
  test("each sends its method, path and JSON body as the edge route expects", async () => {
    await createJobs({ imageIds: [jobId], conf: 0.3, iou: 0.5 });
    await getJob(jobId, { wait: 25 });
    await createReport(reportBody([jobId], { header: { customer: "Acme" } }));
    await createApiKey({ name: "line-3", scopes: ["jobs:read"] });
    answer = () => new Response(null, { status: 204 });
    await revokeApiKey(jobId);
    expect(calls.map(({ method, path, body }) => ({ method, path, body }))).toEqual([
      { method: "POST", path: "/v1/jobs", body: { imageIds: [jobId], conf: 0.3, iou: 0.5 } },
      { method: "GET", path: `/v1/jobs/${jobId}?wait=25`, body: null },
      {
        method: "POST",
        path: "/v1/reports",
        body: reportBody([jobId], { header: { customer: "Acme" } }),
      },
      { method: "POST", path: "/v1/api-keys", body: { name: "line-3", scopes: ["jobs:read"] } },
      { method: "DELETE", path: `/v1/api-keys/${jobId}`, body: null },
    ]);
    expect(calls[0]?.headers.get("content-type")).toBe("application/json");
  });

  test("list filters become the query; absent filters are left out", () => {
    expect(listJobs({ status: "succeeded" }).path).toBe("/v1/jobs?status=succeeded");
    expect(listJobs({ status: undefined, model: "" }).path).toBe("/v1/jobs");
    expect(listJobs({ model: "weld v2" }).path).toBe("/v1/jobs?model=weld+v2");
    expect(listImages().path).toBe("/v1/images");
    expect(listReports({ status: "ready" }).path).toBe("/v1/reports?status=ready");
  });

  test("an id from the page's URL stays one path segment", async () => {
    await getJob("../admin");
    expect(calls[0]?.path).toBe("/v1/jobs/..%2Fadmin");
  });
});

describe("typed endpoints: review versions", () => {
  test("a review comes with its ETag, and an action names it in If-Match and returns the next", async () => {
    answer = () => Response.json({ items: [] }, { headers: { etag: '"3"' } });
    const loaded = await getReview(jobId);
    expect(loaded.etag).toBe('"3"');
    answer = () => Response.json({ items: [], added: [] }, { headers: { etag: '"4"' } });
    const changed = await postReviewActions(jobId, loaded.etag, {
      actions: [{ type: "accept", itemId: jobId }],
    });
    expect(changed.etag).toBe('"4"');
    const sent = calls.at(-1);
    expect(sent?.path).toBe(`/v1/jobs/${jobId}/review/actions`);
    expect(sent?.headers.get("if-match")).toBe('"3"');
    expect(sent?.body).toEqual({ actions: [{ type: "accept", itemId: jobId }] });
  });

  test("a 412 is a stale version; other refusals are not", async () => {
    answer = () =>
      Response.json(
        { error: { code: "precondition_failed", message: "The review changed", requestId: "r1" } },
        { status: 412 },
      );
    const stale = await postReviewActions(jobId, '"1"', {
      actions: [{ type: "reject", itemId: jobId }],
    }).catch((error: unknown) => error);
    expect(isStale(stale)).toBe(true);
    expect(isStale(new ApiFailure(409, "conflict", "no"))).toBe(false);
  });
});

describe("typed endpoints: client behaviour kept", () => {
  test("a refusal surfaces the API's code and message", async () => {
    answer = () =>
      Response.json(
        { error: { code: "not_found", message: "Image not found", requestId: "r2" } },
        { status: 404 },
      );
    const failure = await getImageContent(jobId).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiFailure);
    expect(failure).toMatchObject({
      status: 404,
      code: "not_found",
      message: "Image not found",
      requestId: "r2",
    });
  });

  test("an expired access token is refreshed once and the call retried with the new one", async () => {
    accepted = "access-2";
    answer = () => Response.json({ jobs: [] }, { status: 201 });
    expect(await createJobs({ imageId: jobId })).toEqual({ jobs: [] });
    expect(calls.map((call) => call.headers.get("authorization"))).toEqual([
      "Bearer access-1",
      "Bearer access-2",
    ]);
    expect(calls[1]?.body).toEqual({ imageId: jobId });
  });
});
