/**
 * The local stand-in of R2's S3 API on the wire: a bucket written through Miniflare's R2 binding
 * (as the Worker writes it), read by URLs the edge's own signer presigns.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { type Config, configSchema } from "@edge/config";
import { signObjectUrl } from "@edge/images/signed-url";
import { Miniflare } from "miniflare";
import { z } from "zod";
import { startWorkerR2S3, type WorkerR2S3 } from "../r2-s3";

const BUCKET = "defect-images";
let standIn: WorkerR2S3;
let mf: Miniflare;
let config: Config;

beforeAll(async () => {
  standIn = await startWorkerR2S3(BUCKET);
  mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } }",
    r2Buckets: { IMAGES: BUCKET },
    r2Persist: standIn.r2Dir,
  });
  await mf.ready;
  config = configSchema.parse({
    DATABASE_URL: "postgres://unused@127.0.0.1/unused",
    JWT_KEYS: "{}",
    INFERENCE_EDGE_URL: "http://127.0.0.1:1",
    INFERENCE_CALLBACK_TOKEN: "c".repeat(32),
    OPERATIONS_TOKEN: "o".repeat(32),
    IMAGE_URL_SIGNING_KEY: "k".repeat(32),
    ...standIn.vars,
  });
});

afterAll(async () => {
  await mf.dispose();
  await standIn.stop();
});

const bucket = () => mf.getR2Bucket("IMAGES");

async function putObject(key: string, bytes: Uint8Array) {
  return (await bucket()).put(key, bytes, { httpMetadata: { contentType: "image/png" } });
}

const bytesOf = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + seed) % 251);

/** What a test relies on in S3's XML error body. */
const S3ErrorSchema = z.object({ code: z.string(), message: z.string() });

async function readS3Error(response: Response) {
  const text = await response.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
  return S3ErrorSchema.parse({ code: field("Code"), message: field("Message") });
}

async function expectS3Error(response: Response, status: number, code: string) {
  expect(response.headers.get("content-type")).toBe("application/xml");
  expect({ status: response.status, code: (await readS3Error(response)).code }).toEqual({ status, code });
}

describe("local R2 S3 stand-in", () => {
  test("serves the object by presigned URL with R2's length, type, ETag and Last-Modified", async () => {
    const bytes = bytesOf(300_000, 1);
    const key = `images/${crypto.randomUUID()}`;
    const written = await putObject(key, bytes);
    const { url, expiresAt } = await signObjectUrl(config, key);
    expect(url.startsWith(`${standIn.endpoint}/${BUCKET}/images/`)).toBe(true);
    expect(new URL(url).searchParams.get("X-Amz-Expires")).toBe(String(config.IMAGE_URL_TTL_SECONDS));
    expect(expiresAt.getTime() % 1000).toBe(0);

    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("content-length")).toBe(String(bytes.length));
    expect(response.headers.get("etag")).toBe(written.httpEtag);
    expect(response.headers.get("last-modified")).toBe(written.uploaded.toUTCString());
    const body = new Uint8Array(await response.arrayBuffer());
    expect(createHash("sha256").update(body).digest("hex")).toBe(
      createHash("sha256").update(bytes).digest("hex"),
    );
  });

  test("keys with spaces and non-ASCII characters sign and resolve", async () => {
    const key = `datasets/v1/ä b (1)!.png`;
    await putObject(key, bytesOf(10, 2));
    const response = await fetch((await signObjectUrl(config, key)).url);
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytesOf(10, 2));
  });

  test("single byte ranges → 206 with Content-Range; past the end → 416 InvalidRange", async () => {
    const bytes = bytesOf(1000, 3);
    const key = `images/${crypto.randomUUID()}`;
    await putObject(key, bytes);
    const { url } = await signObjectUrl(config, key);
    const ranged = await fetch(url, { headers: { Range: "bytes=10-19" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe("bytes 10-19/1000");
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(bytes.slice(10, 20));
    const suffix = await fetch(url, { headers: { Range: "bytes=-5" } });
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(bytes.slice(995));
    const outside = await fetch(url, { headers: { Range: "bytes=1000-" } });
    expect(outside.headers.get("content-range")).toBe("bytes */1000");
    await expectS3Error(outside, 416, "InvalidRange");
  });

  test("HEAD by a URL presigned for GET is refused, as S3 signs the method", async () => {
    const key = `images/${crypto.randomUUID()}`;
    await putObject(key, bytesOf(10, 4));
    const response = await fetch((await signObjectUrl(config, key)).url, { method: "HEAD" });
    expect(response.status).toBe(403);
  });

  test("a multipart object is its parts in order", async () => {
    const key = `models/${crypto.randomUUID()}.onnx`;
    const parts = [bytesOf(5 * 1024 * 1024, 5), bytesOf(1000, 6)];
    const upload = await (await bucket()).createMultipartUpload(key);
    const uploaded = [
      await upload.uploadPart(1, parts[0] as Uint8Array),
      await upload.uploadPart(2, parts[1] as Uint8Array),
    ];
    const object = await upload.complete(uploaded);
    const { url } = await signObjectUrl(config, key);
    const response = await fetch(url);
    expect(response.headers.get("etag")).toBe(object.httpEtag);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body.length).toBe(5 * 1024 * 1024 + 1000);
    expect(body.slice(5 * 1024 * 1024 - 3)).toEqual(
      Uint8Array.from([...(parts[0] as Uint8Array).slice(-3), ...(parts[1] as Uint8Array)]),
    );
    const across = await fetch(url, {
      headers: { Range: `bytes=${5 * 1024 * 1024 - 2}-${5 * 1024 * 1024 + 1}` },
    });
    expect(new Uint8Array(await across.arrayBuffer())).toEqual(
      body.slice(5 * 1024 * 1024 - 2, 5 * 1024 * 1024 + 2),
    );
  });

  test("overwritten and deleted objects: the new bytes, then 404 NoSuchKey", async () => {
    const key = `images/${crypto.randomUUID()}`;
    await putObject(key, bytesOf(100, 7));
    await putObject(key, bytesOf(50, 8));
    const { url } = await signObjectUrl(config, key);
    expect(new Uint8Array(await (await fetch(url)).arrayBuffer())).toEqual(bytesOf(50, 8));
    await (await bucket()).delete(key);
    await expectS3Error(await fetch(url), 404, "NoSuchKey");
  });

  test("expired, tampered key or signature, another method or bucket → R2's refusals", async () => {
    const key = `images/${crypto.randomUUID()}`;
    await putObject(key, bytesOf(10, 9));
    const expired = await signObjectUrl(config, key, Date.now() - 2 * config.IMAGE_URL_TTL_SECONDS * 1000);
    await expectS3Error(await fetch(expired.url), 403, "ExpiredRequest");

    const { url } = await signObjectUrl(config, key);
    const signed = new URL(url);
    const signature = signed.searchParams.get("X-Amz-Signature") ?? "";
    const tampered = [
      new URL(url.replace(key, `images/${crypto.randomUUID()}`)),
      new URL(signed),
      new URL(url.replace(/X-Amz-Expires=\d+/, "X-Amz-Expires=7200")),
    ];
    tampered[1]?.searchParams.set(
      "X-Amz-Signature",
      `${signature[0] === "0" ? "1" : "0"}${signature.slice(1)}`,
    );
    for (const target of tampered) await expectS3Error(await fetch(target), 403, "SignatureDoesNotMatch");
    await expectS3Error(await fetch(url, { method: "PUT", body: "x" }), 403, "SignatureDoesNotMatch");
    await expectS3Error(await fetch(url, { method: "DELETE" }), 403, "SignatureDoesNotMatch");

    const otherBucket = await signObjectUrl({ ...config, R2_BUCKET_NAME: "elsewhere" }, key);
    await expectS3Error(await fetch(otherBucket.url), 404, "NoSuchBucket");
    const otherKeyId = await signObjectUrl({ ...config, R2_S3_ACCESS_KEY_ID: "someone-else" }, key);
    await expectS3Error(await fetch(otherKeyId.url), 403, "InvalidAccessKeyId");
    const unsigned = new URL(url);
    unsigned.search = "";
    await expectS3Error(await fetch(unsigned), 400, "AuthorizationQueryParametersError");
  });
});
