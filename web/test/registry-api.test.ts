import { beforeEach, describe, expect, mock, test } from "bun:test";
import { ApiFailure, createApiClient, isFailure } from "../src/api/client";

type Call = { method: string; path: string; headers: Headers; body: unknown };

const calls: Call[] = [];
let answer: (call: Call) => Response = () => Response.json({});

/** A scripted edge behind the app's one client. */
const client = createApiClient({
  fetch: async (path, init = {}) => {
    const headers = new Headers(init.headers as Headers | undefined);
    const body = typeof init.body === "string" ? JSON.parse(init.body) : null;
    if (path === "/v1/auth/login") {
      return Response.json({ accessToken: "access-1", refreshToken: "refresh-1", user: {} });
    }
    const call = { method: init.method ?? "GET", path, headers, body };
    calls.push(call);
    return answer(call);
  },
  storage: { getItem: () => null, setItem: () => undefined, removeItem: () => undefined },
});
mock.module("../src/api/instance", () => ({ api: client }));

const models = await import("../src/api/models");
const datasets = await import("../src/api/datasets");
const { listJobs } = await import("../src/api/jobs");
const { resultModelOf } = await import("../src/api/model-ref");
const { formatDelta, formatMetric, summarizeMetrics } = await import("../src/api/model-metrics");
const { markdownBlocks } = await import("../src/components/markdown-blocks");

const datasetId = "0197a3c2-5a41-7c3e-8a8d-2f1e5b9c0a11";
const sent = () => calls.map(({ method, path, body }) => ({ method, path, body }));

beforeEach(async () => {
  answer = () => Response.json({});
  await client.signIn("inspector@example.com", "a long enough password");
  calls.length = 0;
});

describe("model registry endpoints", () => {
  test("each sends its method, path and body as the edge route expects", async () => {
    await models.listModels();
    await models.getModel("weld v2");
    await models.getModelVersion("weld-custom", 3);
    await models.promoteModel("weld-custom", { version: 3, reason: "better recall" });
    await models.promoteModel("weld-custom", { version: 2, force: true, reason: "field tests" });
    await models.rollbackModel("weld-custom", { reason: "false calls on line 3" });
    expect(sent()).toEqual([
      { method: "GET", path: "/v1/models", body: null },
      { method: "GET", path: "/v1/models/weld%20v2", body: null },
      { method: "GET", path: "/v1/models/weld-custom/versions/3", body: null },
      {
        method: "POST",
        path: "/v1/models/weld-custom/promote",
        body: { version: 3, reason: "better recall" },
      },
      {
        method: "POST",
        path: "/v1/models/weld-custom/promote",
        body: { version: 2, force: true, reason: "field tests" },
      },
      { method: "POST", path: "/v1/models/weld-custom/rollback", body: { reason: "false calls on line 3" } },
    ]);
    expect(calls[3]?.headers.get("content-type")).toBe("application/json");
    expect(calls[3]?.headers.get("authorization")).toBe("Bearer access-1");
  });

  test("versions and history are paged lists of the name; the card is markdown text", async () => {
    expect(models.listModelVersions("../x").path).toBe("/v1/models/..%2Fx/versions");
    expect(models.listModelHistory("weld-custom").path).toBe("/v1/models/weld-custom/history");
    answer = () => new Response("# weld-custom@1\n", { headers: { "content-type": "text/markdown" } });
    expect(await models.getModelCard("weld-custom", 1)).toBe("# weld-custom@1\n");
    expect(calls.at(-1)?.path).toBe("/v1/models/weld-custom/versions/1/card");
  });

  test("evaluation and shadow endpoints send what the routes expect", async () => {
    await models.getModelEvaluation("weld-custom", 3);
    await models.startShadow("weld custom", { version: 3, share: 0.2 });
    await models.getShadow("weld custom");
    await models.stopShadow("weld custom");
    expect(sent()).toEqual([
      { method: "GET", path: "/v1/models/weld-custom/versions/3/evaluation", body: null },
      { method: "POST", path: "/v1/models/weld%20custom/shadow", body: { version: 3, share: 0.2 } },
      { method: "GET", path: "/v1/models/weld%20custom/shadow", body: null },
      { method: "DELETE", path: "/v1/models/weld%20custom/shadow", body: null },
    ]);
    expect(calls[1]?.headers.get("content-type")).toBe("application/json");
    expect(calls[3]?.headers.get("authorization")).toBe("Bearer access-1");
  });

  test("a version without a dataset, and a refused shadow, arrive with the API's code and message", async () => {
    const refuse = (status: number, code: string, message: string) => () =>
      Response.json({ error: { code, message } }, { status });
    answer = refuse(404, "not_found", "This version has no evaluation: it names no dataset");
    const missing = await models.getModelEvaluation("weld", 1).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiFailure);
    expect(isFailure(missing, "not_found")).toBe(true);
    expect((missing as ApiFailure).message).toBe("This version has no evaluation: it names no dataset");
    answer = refuse(400, "validation_failed", "share: Too big: expected number to be <=0.5");
    const refused = await models.startShadow("weld", { version: 2, share: 0.6 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 400, code: "validation_failed" });
    expect(isFailure(refused, "not_found")).toBe(false);
    expect(isFailure(new Error("offline"), "not_found")).toBe(false);
  });

  test("the promotion gate's refusal arrives with its code and message", async () => {
    answer = () =>
      Response.json(
        {
          error: {
            code: "promotion_gate",
            message: "Validation mAP@0.5 of weld@2 (0.4) is below production's (0.7)",
          },
        },
        { status: 409 },
      );
    const refusal = await models.promoteModel("weld", { version: 2, reason: "r" }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ApiFailure);
    expect(refusal).toMatchObject({ status: 409, code: "promotion_gate" });
    expect((refusal as ApiFailure).message).toContain("below production's");
  });
});

describe("dataset endpoints", () => {
  test("a version from reviewed jobs: by ids or by a filter", async () => {
    await datasets.createDataset({ name: "welds", fromJobs: [datasetId] });
    await datasets.createDataset({
      name: "welds",
      fromJobs: { reviewed: true, model: "weld-defects", since: "2026-01-01T00:00:00.000Z" },
    });
    await datasets.getDataset(datasetId);
    expect(sent()).toEqual([
      { method: "POST", path: "/v1/datasets", body: { name: "welds", fromJobs: [datasetId] } },
      {
        method: "POST",
        path: "/v1/datasets",
        body: {
          name: "welds",
          fromJobs: { reviewed: true, model: "weld-defects", since: "2026-01-01T00:00:00.000Z" },
        },
      },
      { method: "GET", path: `/v1/datasets/${datasetId}`, body: null },
    ]);
  });

  test("lists carry their filters in the query", () => {
    expect(datasets.listDatasets().path).toBe("/v1/datasets");
    expect(datasets.listDatasets({ name: "welds" }).path).toBe("/v1/datasets?name=welds");
    expect(datasets.importPath({ name: "line 3", format: "yolo", valFraction: 0.25 })).toBe(
      "/v1/datasets?name=line+3&format=yolo&valFraction=0.25",
    );
    expect(datasets.importPath({ name: "coco-set" })).toBe("/v1/datasets?name=coco-set");
    expect(datasets.listDatasetItems(datasetId, { split: "val" }).path).toBe(
      `/v1/datasets/${datasetId}/items?split=val`,
    );
    expect(
      listJobs({
        status: "succeeded",
        model: "weld-defects",
        createdAfter: "2026-01-01T00:00:00.000Z",
        createdBefore: undefined,
      }).path,
    ).toBe("/v1/jobs?status=succeeded&model=weld-defects&createdAfter=2026-01-01T00%3A00%3A00.000Z");
  });
});

describe("what the pages show", () => {
  test("a result names its registry version, or the shipped model with the version that ran", () => {
    expect(resultModelOf({ requested: "weld-custom@3", version: "3", sha256: null })).toEqual({
      name: "weld-custom",
      label: "weld-custom@3",
    });
    expect(resultModelOf({ requested: "weld-defects", version: "1.2.0", sha256: null })).toEqual({
      name: "weld-defects",
      label: "weld-defects 1.2.0",
    });
    expect(resultModelOf({ requested: "weld-defects", version: null, sha256: null }).label).toBe(
      "weld-defects",
    );
  });

  test("metrics of a training run and of the evaluation tool read alike; unknown shapes give nulls", () => {
    const fromTraining = summarizeMetrics({ val: { map50: 0.71, map50_95: 0.43 }, bestEpoch: 7 }, [
      "porosity",
    ]);
    expect(fromTraining).toEqual({
      map50: 0.71,
      map50_95: 0.43,
      precision: null,
      recall: null,
      perClass: [],
    });
    const fromEval = summarizeMetrics(
      {
        val: {
          map50: 0.6,
          map: 0.3,
          precision: 0.8,
          recall: 0.5,
          perClass: [
            { classId: 1, ap50: 0.4, ap: 0.2, precision: 0.7, recall: 0.3 },
            { name: "porosity", ap50: 0.8 },
            "nonsense",
          ],
        },
      },
      ["porosity", "crack"],
    );
    expect(fromEval.map50_95).toBe(0.3);
    expect(fromEval.perClass).toEqual([
      { name: "crack", ap50: 0.4, ap: 0.2, precision: 0.7, recall: 0.3 },
      { name: "porosity", ap50: 0.8, ap: null, precision: null, recall: null },
    ]);
    expect(summarizeMetrics(null, []).map50).toBeNull();
    expect(summarizeMetrics({ val: { map50: Number.NaN } }, []).map50).toBeNull();
    expect(formatMetric(null)).toBe("–");
    expect(formatMetric(0.71234)).toBe("0.712");
    expect([formatDelta(0.03), formatDelta(-0.15), formatDelta(0), formatDelta(null)]).toEqual([
      "+0.030",
      "−0.150",
      "+0.000",
      "–",
    ]);
  });

  test("a model card's markdown becomes blocks of text, HTML in it staying text", () => {
    const blocks = markdownBlocks(
      [
        "# weld@1",
        "",
        "| | |",
        "|---|---|",
        "| SHA-256 | `ab` |",
        "",
        "- Input: 640×640",
        "- Layout: `ultralytics`",
        "```json",
        '{ "val": 1 }',
        "```",
        "<script>alert(1)</script>",
      ].join("\n"),
    );
    expect(blocks).toEqual([
      { kind: "heading", level: 1, text: "weld@1" },
      {
        kind: "table",
        rows: [
          ["", ""],
          ["SHA-256", "`ab`"],
        ],
      },
      { kind: "list", items: ["Input: 640×640", "Layout: `ultralytics`"] },
      { kind: "code", text: '{ "val": 1 }' },
      { kind: "paragraph", text: "<script>alert(1)</script>" },
    ]);
  });
});

describe("dataset preview and training runs", () => {
  const item = (decision: "pending" | "accepted" | "rejected", label: string) => ({ decision, label });
  const image = (id: string) => ({ id, width: 320, height: 240 });

  test("the preview keeps reviewed jobs' accepted boxes and counts what it leaves out, as the edge does", async () => {
    const { previewDataset, reviewFate } = await import("../src/api/dataset-preview");
    const reviews = [
      { version: 2, image: image("a"), items: [item("accepted", "porosity"), item("rejected", "crack")] },
      { version: 1, image: image("b"), items: [item("accepted", "porosity"), item("accepted", "crack")] },
      { version: 0, image: image("c"), items: [item("pending", "porosity")] },
      { version: 0, image: image("d"), items: [] },
      { version: 3, image: image("a"), items: [item("accepted", "undercut")] },
    ] as Parameters<typeof previewDataset>[0];
    expect(previewDataset(reviews)).toEqual({
      images: 2,
      boxes: 3,
      perClass: [
        { name: "porosity", boxes: 2 },
        { name: "crack", boxes: 1 },
      ],
      skipped: { pending: 1, unreviewed: 1, duplicate: 1 },
    });
    // A review someone started but left with a pending detection is still pending.
    expect(reviewFate({ version: 4, items: [item("accepted", "x"), item("pending", "y")] } as never)).toBe(
      "pending",
    );
  });

  test("training endpoints send what the routes expect", async () => {
    const trainings = await import("../src/api/trainings");
    await trainings.createTraining({
      datasetId,
      baseModel: "weld-defects",
      name: "weld-ft",
      epochs: 3,
      tileSize: 0,
    });
    await trainings.getTraining(datasetId);
    await trainings.cancelTraining(datasetId);
    expect(sent()).toEqual([
      {
        method: "POST",
        path: "/v1/trainings",
        body: { datasetId, baseModel: "weld-defects", name: "weld-ft", epochs: 3, tileSize: 0 },
      },
      { method: "GET", path: `/v1/trainings/${datasetId}`, body: null },
      { method: "POST", path: `/v1/trainings/${datasetId}/cancel`, body: null },
    ]);
    expect(trainings.listTrainings({ status: "running" }).path).toBe("/v1/trainings?status=running");
  });

  test("a run's event stream gives each state, split across chunks, and ends with a final status", async () => {
    const { followTraining } = await import("../src/api/trainings");
    const run = (status: string, epochs: number) => ({
      id: datasetId,
      status,
      progress: Array(epochs).fill({}),
    });
    const event = (status: string, epochs: number) =>
      `event: training.${status}\ndata: ${JSON.stringify(run(status, epochs))}\n\n`;
    const text = `retry: 10\n${event("queued", 0)}${event("running", 1)}: keep-alive\n\n${event("succeeded", 2)}`;
    const encoder = new TextEncoder();
    answer = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            // Chunks that cut an event in half, as the network may.
            for (let at = 0; at < text.length; at += 37)
              controller.enqueue(encoder.encode(text.slice(at, at + 37)));
            controller.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      followTraining(
        datasetId,
        (state) => {
          seen.push(`${state.status}:${state.progress.length}`);
          if (state.status === "succeeded") resolve();
        },
        client,
      );
    });
    await Bun.sleep(30);
    expect(seen).toEqual(["queued:0", "running:1", "succeeded:2"]);
    // A final status ends the stream for good: it is not opened again.
    expect(calls.filter((call) => call.path.endsWith("/events"))).toHaveLength(1);
  });
});
