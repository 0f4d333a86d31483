/**
 * The shipped model through the whole system: generated films are uploaded to the edge Worker
 * (workerd), queued, pushed to the real inference service (onnxruntime), and the results the edge
 * stored are compared with the labels the generator drew.
 */
import { describe, expect, test } from "bun:test";
import { JobSchema } from "@edge/routes/jobs/schema";
import { encodePng } from "@generator/png";
import { deriveSeed } from "@generator/prng";
import { renderSample } from "@generator/sample";
import { iou } from "@inference/postprocess/boxes";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { uploadAndDetect } from "@scripts/testing/job-fixtures";
import { readBody } from "@scripts/testing/responses";
import { useFullStack } from "./full-stack-fixture";

const stack = useFullStack({ intraOpThreads: 2 });

describe("default model, full stack (edge → queue → inference → result)", () => {
  test("finds most of the labelled defects on generated films", async () => {
    const { auth } = await signedInUser(stack.worker);
    const samples = Array.from({ length: 4 }, (_, i) =>
      renderSample(deriveSeed(77, "full-stack", i), { imgsz: 320 }),
    );
    const jobIds: string[] = [];
    for (const sample of samples) {
      jobIds.push(await uploadAndDetect(stack.worker, auth, await encodePng(sample.image, 8)));
    }

    let labelled = 0;
    let found = 0;
    for (const [k, jobId] of jobIds.entries()) {
      const response = await stack.worker.fetch(`/v1/jobs/${jobId}?wait=60`, {
        headers: { Authorization: auth },
      });
      const job = await readBody(response, JobSchema);
      expect(job.status).toBe("succeeded");
      expect(job.model.sha256).toMatch(/^[0-9a-f]{64}$/);
      for (const label of samples[k]?.labels ?? []) {
        labelled++;
        if (job.detections?.some((d) => d.classId === label.classId && iou(d.box, label.box) >= 0.5)) found++;
      }
    }
    expect(labelled).toBeGreaterThan(3);
    expect(found / labelled).toBeGreaterThanOrEqual(0.7);
  }, 120_000);
});
