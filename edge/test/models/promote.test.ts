import { describe, expect, test } from "bun:test";
import { ModelSchema, PromotionPageSchema, PromotionSchema } from "@edge/routes/models/schema";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { expectError, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { post, uploadVersion } from "./model-fixtures";

const worker = useTestWorker({ vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" } });

const promote = (auth: string, body: unknown) => post(worker.current, auth, "/v1/models/gated/promote", body);
const production = async (auth: string) =>
  (
    await readBody(
      await worker.current.fetch("/v1/models/gated", { headers: { Authorization: auth } }),
      ModelSchema,
    )
  ).productionVersion;

describe("promotion", () => {
  test("the gate refuses a worse candidate unless forced; history audits every change; rollback walks back", async () => {
    const { auth, user } = await signedInUser(worker.current);
    for (const map50 of [0.5, 0.7, 0.6]) {
      await uploadVersion(worker.current, auth, "gated", { metrics: { val: { map50, map: map50 / 2 } } });
    }
    const first = await readBody(await promote(auth, { version: 1, reason: "baseline" }), PromotionSchema);
    expect(first).toMatchObject({ action: "promote", fromVersion: null, toVersion: 1, forced: false });
    await readBody(await promote(auth, { version: 2, reason: "better on porosity" }), PromotionSchema);
    expect(await production(auth)).toBe(2);

    const refused = await expectError(
      await promote(auth, { version: 3, reason: "try" }),
      409,
      "promotion_gate",
    );
    expect(refused.details).toEqual({ candidate: 0.6, production: 0.7, productionVersion: 2 });
    expect(await production(auth)).toBe(2);
    await expectError(await promote(auth, { version: 2, reason: "again" }), 409, "conflict");

    const forced = await readBody(
      await promote(auth, { version: 3, force: true, reason: "faster, small mAP loss accepted" }),
      PromotionSchema,
    );
    expect(forced).toMatchObject({ fromVersion: 2, toVersion: 3, forced: true, actorId: user.id });
    expect(await production(auth)).toBe(3);

    const back = post(worker.current, auth, "/v1/models/gated/rollback", { reason: "false calls on site" });
    expect(await readBody(await back, PromotionSchema)).toMatchObject({
      action: "rollback",
      fromVersion: 3,
      toVersion: 2,
      forced: false,
    });
    const again = post(worker.current, auth, "/v1/models/gated/rollback", { reason: "v2 regressed too" });
    expect(await readBody(await again, PromotionSchema)).toMatchObject({ fromVersion: 2, toVersion: 1 });
    expect(await production(auth)).toBe(1);
    await expectError(
      await post(worker.current, auth, "/v1/models/gated/rollback", { reason: "nothing left" }),
      409,
      "conflict",
    );

    const history = await readBody(
      await worker.current.fetch("/v1/models/gated/history", { headers: { Authorization: auth } }),
      PromotionPageSchema,
    );
    expect(history.items.map((h) => [h.action, h.fromVersion, h.toVersion, h.forced, h.reason])).toEqual([
      ["rollback", 2, 1, false, "v2 regressed too"],
      ["rollback", 3, 2, false, "false calls on site"],
      ["promote", 2, 3, true, "faster, small mAP loss accepted"],
      ["promote", 1, 2, false, "better on porosity"],
      ["promote", null, 1, false, "baseline"],
    ]);
  });

  test("a candidate without metrics passes only while production has none; a reason is required", async () => {
    const { auth } = await signedInUser(worker.current);
    await uploadVersion(worker.current, auth, "gated");
    await uploadVersion(worker.current, auth, "gated", { metrics: { val: { map50: 0.4 } } });
    await uploadVersion(worker.current, auth, "gated");
    await readBody(await promote(auth, { version: 1, reason: "first" }), PromotionSchema);
    await readBody(await promote(auth, { version: 2, reason: "evaluated" }), PromotionSchema);
    await expectError(await promote(auth, { version: 3, reason: "unevaluated" }), 409, "promotion_gate");
    await expectError(await promote(auth, { version: 3 }), 400, "validation_failed");
    await expectError(await promote(auth, { version: 9, reason: "missing" }), 404, "not_found");
  });
});
