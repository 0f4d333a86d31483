import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createTestDatabase, STARTUP_TIMEOUT_MS, type TestDatabase } from "@scripts/testing/test-worker";
import { eq, sql } from "drizzle-orm";
import { migrationsFolder } from "../migrate";
import { apiKeys, detections, images, jobs, users } from "../schema";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
}, STARTUP_TIMEOUT_MS);
afterAll(async () => {
  await database.drop();
});

async function insertUser(email: string) {
  const [user] = await database.db
    .insert(users)
    .values({ email, passwordHash: "$argon2id$placeholder" })
    .returning();
  if (!user) throw new Error("insert returned no row");
  return user;
}

async function insertImageAndJob(ownerId: string) {
  const [image] = await database.db
    .insert(images)
    .values({
      ownerId,
      objectKey: `images/${ownerId}/${crypto.randomUUID()}`,
      format: "png",
      width: 10,
      height: 10,
      bitDepth: 8,
      bytes: 100,
      sha256: "0".repeat(64),
    })
    .returning();
  const [job] = await database.db
    .insert(jobs)
    .values({
      ownerId,
      imageId: image?.id as string,
      model: "m",
      params: { conf: 0.25, iou: 0.45, maxDet: 300, classes: null },
    })
    .returning();
  if (!job) throw new Error("insert returned no row");
  return job;
}

describe("schema", () => {
  test("migrations create every table with snake_case columns", async () => {
    const rows = await database.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      "api_keys",
      "dataset_items",
      "datasets",
      "detections",
      "idempotency_keys",
      "images",
      "job_reviews",
      "jobs",
      "model_aliases",
      "model_evaluations",
      "model_promotions",
      "model_shadows",
      "model_uploads",
      "model_versions",
      "refresh_tokens",
      "report_counters",
      "reports",
      "review_events",
      "reviewed_detections",
      "shadow_results",
      "trainings",
      "users",
      "webhook_deliveries",
      "webhooks",
    ]);
    const columns = await database.db.execute<{ column_name: string }>(
      sql`select column_name from information_schema.columns where table_name = 'users'`,
    );
    expect(columns.map((c) => c.column_name)).toContain("password_hash");
  });

  test("ids are UUIDv7 and sort by creation time", async () => {
    const first = await insertUser("first@example.com");
    await Bun.sleep(2);
    const second = await insertUser("second@example.com");
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.id < second.id).toBe(true);
  });

  test("emails are unique", async () => {
    await insertUser("dup@example.com");
    await expect(insertUser("dup@example.com")).rejects.toMatchObject({ cause: { code: "23505" } });
  });

  test("deleting a user removes its images, jobs and detections", async () => {
    const user = await insertUser("owner@example.com");
    const job = await insertImageAndJob(user.id);
    await database.db.insert(detections).values({
      jobId: job.id,
      rank: 0,
      classId: 1,
      label: "crack",
      score: 0.9,
      x1: 1,
      y1: 1,
      x2: 5,
      y2: 5,
    });
    expect(job.status).toBe("queued");

    await database.db.delete(users).where(eq(users.id, user.id));
    expect(await database.db.select().from(images).where(eq(images.ownerId, user.id))).toEqual([]);
    expect(await database.db.select().from(jobs).where(eq(jobs.ownerId, user.id))).toEqual([]);
    expect(await database.db.select().from(detections).where(eq(detections.jobId, job.id))).toEqual([]);
  });

  test("a detection rank is unique within its job, so a replayed result cannot duplicate rows", async () => {
    const user = await insertUser("rank@example.com");
    const job = await insertImageAndJob(user.id);
    const row = {
      jobId: job.id,
      rank: 0,
      classId: 0,
      label: "porosity",
      score: 0.5,
      x1: 0,
      y1: 0,
      x2: 1,
      y2: 1,
    };
    await database.db.insert(detections).values(row);
    await expect(database.db.insert(detections).values(row).execute()).rejects.toMatchObject({
      cause: { code: "23505" },
    });
  });

  test("keys made before the models scopes get each datasets scope's counterpart, once", async () => {
    const user = await insertUser("scopes@example.com");
    const key = async (name: string, scopes: string[]) => {
      const [row] = await database.db
        .insert(apiKeys)
        .values({ userId: user.id, name, prefix: name, keyHash: crypto.randomUUID(), scopes })
        .returning({ id: apiKeys.id });
      return row?.id as string;
    };
    const ids = {
      both: await key("both", ["jobs:read", "datasets:read", "datasets:write"]),
      reader: await key("reader", ["datasets:read"]),
      scanner: await key("scanner", ["images:write", "jobs:write"]),
      already: await key("already", ["datasets:read", "models:read"]),
    };
    const file = await readFile(join(migrationsFolder, "0011_models_scopes.sql"), "utf8");
    // Applied twice: the statements must not grant a scope twice.
    for (let run = 0; run < 2; run++) {
      for (const statement of file.split("--> statement-breakpoint")) {
        await database.db.execute(sql.raw(statement));
      }
    }
    const scopesOf = async (id: string) =>
      (await database.db.select({ scopes: apiKeys.scopes }).from(apiKeys).where(eq(apiKeys.id, id)))[0]
        ?.scopes;
    expect(await scopesOf(ids.both)).toEqual([
      "jobs:read",
      "datasets:read",
      "datasets:write",
      "models:read",
      "models:write",
    ]);
    expect(await scopesOf(ids.reader)).toEqual(["datasets:read", "models:read"]);
    expect(await scopesOf(ids.scanner)).toEqual(["images:write", "jobs:write"]);
    expect(await scopesOf(ids.already)).toEqual(["datasets:read", "models:read"]);
  });
});
