import { describe, expect, test } from "bun:test";
import { decodePulledBody, type PulledMessage } from "@inference/sources/queues-api";

const job = { version: 1, jobId: "0b7c9a52-3f3e-4d8e-9a51-0d2b0c6f1a11", note: "ünïcödé" };

function pulled(body: string, contentType?: string): PulledMessage {
  return {
    id: "1ad27d24c83de78953da635dc2ea208f",
    body,
    attempts: 1,
    timestamp_ms: 1_689_615_013_586,
    lease_id: "lease",
    ...(contentType === undefined ? {} : { metadata: { "CF-Content-Type": contentType } }),
  };
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

describe("decodePulledBody: bodies as Cloudflare's pull API delivers them", () => {
  test("a json body base64-encoded, as the pull-consumer guide describes", () => {
    expect(decodePulledBody(pulled(base64(JSON.stringify(job)), "json"))).toEqual(job);
  });

  test("a json body as plain JSON text, as the guide's own example shows", () => {
    expect(decodePulledBody(pulled(JSON.stringify(job), "json"))).toEqual(job);
    expect(decodePulledBody(pulled(JSON.stringify(job)))).toEqual(job);
  });

  test("a text body carrying JSON, and a bytes body base64-encoded", () => {
    expect(decodePulledBody(pulled(JSON.stringify(job), "text"))).toEqual(job);
    expect(decodePulledBody(pulled(base64(JSON.stringify(job)), "bytes"))).toEqual(job);
  });

  test("a body that is neither JSON nor base64 JSON, or a v8 body, is refused", () => {
    expect(() => decodePulledBody(pulled("{not json", "json"))).toThrow();
    expect(() => decodePulledBody(pulled("not base64 at all!", "json"))).toThrow("neither JSON nor base64");
    expect(() => decodePulledBody(pulled(base64("{truncated"), "json"))).toThrow();
    expect(() => decodePulledBody(pulled("AAAA", "v8"))).toThrow("cannot be read by a pull consumer");
  });
});
