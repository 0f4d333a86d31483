import { describe, expect, test } from "bun:test";
import { DetectResultSchema, FailureSchema } from "@common/contracts/detect-result";
import { type SharedErrorCode, SharedErrorCodeSchema, sharedErrorCodes, sharedErrors } from "@common/errors";
import { errorStatus as apiErrorStatus } from "@edge/errors";
import { ERROR_CODES, InferenceError } from "@inference/errors";

describe("the shared error vocabulary", () => {
  test("every code has an error status and says whether it is permanent", () => {
    for (const [code, { status, permanent }] of Object.entries(sharedErrors)) {
      expect([code, status >= 400 && status < 600]).toEqual([code, true]);
      expect(typeof permanent).toBe("boolean");
    }
  });

  test("the zod enum holds exactly the map's codes; the retired inference names are not among them", () => {
    expect(SharedErrorCodeSchema.options).toEqual(sharedErrorCodes);
    for (const retired of ["invalid_request", "image_undecodable", "image_too_large", "image_unsupported"]) {
      expect(SharedErrorCodeSchema.safeParse(retired).success).toBe(false);
    }
  });

  test("the edge answers a shared code with the shared status", () => {
    const statuses: Record<string, number> = apiErrorStatus;
    const answered = Object.keys(statuses).filter((code): code is SharedErrorCode => code in sharedErrors);
    expect(answered).toEqual(
      expect.arrayContaining([
        "validation_failed",
        "image_corrupt",
        "payload_too_large",
        "unsupported_image_type",
      ]),
    );
    for (const code of answered) expect([code, statuses[code]]).toEqual([code, sharedErrors[code].status]);
  });

  test("inference speaks exactly the shared vocabulary", () => {
    expect(ERROR_CODES).toBe(sharedErrors);
    const error = new InferenceError("image_corrupt", "cannot decode image");
    expect([error.status, error.permanent]).toEqual([400, true]);
    expect(new InferenceError("image_fetch_failed", "reset").permanent).toBe(false);
  });
});

describe("a failed result's code", () => {
  const failed = (code: string) => ({
    version: 1,
    jobId: "0193c4a8-6f2e-7c1a-9b3d-5e8f7a6b4c2d",
    status: "failed",
    attempt: 1,
    error: { code, message: "m", permanent: true },
  });

  test("is one of the shared codes when inference sends it", () => {
    expect(FailureSchema.shape.code.safeParse("image_corrupt").success).toBe(true);
    expect(DetectResultSchema.parse(failed("image_corrupt"))).toMatchObject({
      error: { code: "image_corrupt" },
    });
  });

  test("another code (an older sender, a test double) is still recorded, not refused", () => {
    expect(DetectResultSchema.safeParse(failed("image_undecodable")).success).toBe(true);
  });
});
