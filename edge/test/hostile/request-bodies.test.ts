import { describe, expect, test } from "bun:test";
import { images } from "@db/schema";
import { ErrorBodySchema } from "@edge/openapi";
import { GENEROUS_AUTH_LIMITS, signedInUser } from "@scripts/testing/auth-fixtures";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { openRawConnection, type RawConnection, requestHead } from "@scripts/testing/raw-http";
import { parseBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { eq } from "drizzle-orm";

/**
 * Hostile bodies on one keep-alive connection: every refusal is a specific 4xx in the error
 * envelope, answered within bounded time, the connection carries the next request, and nothing
 * refused leaves a row or an object behind.
 */

const LIMITS = {
  MAX_IMAGE_BYTES: "200000",
  MAX_JSON_BODY_BYTES: "65536",
  MAX_DRAIN_BYTES: String(8 * 1024 * 1024),
  BODY_IDLE_TIMEOUT_MS: "800",
  BODY_READ_TIMEOUT_MS: "2500",
};
const worker = useTestWorker({ vars: { ...GENEROUS_AUTH_LIMITS, ...LIMITS } });

/** A PNG signature and IHDR declaring `width`×`height` 8-bit grey, then `padding` zero bytes. */
function pngHeader(width: number, height: number, padding = 0): Buffer {
  const head = Buffer.alloc(33 + padding);
  Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]).copy(head, 0);
  head.writeUInt32BE(13, 8);
  head.write("IHDR", 12, "latin1");
  head.writeUInt32BE(width, 16);
  head.writeUInt32BE(height, 20);
  head[24] = 8;
  return head;
}

/** The connection still works: a GET on it answers 200 with JSON. */
async function expectUsable(connection: RawConnection) {
  await connection.write(requestHead("GET", "/health"));
  const next = await connection.readResponse();
  expect(next.status).toBe(200);
  expect(JSON.parse(next.body)).toEqual({ status: "ok" });
}

function errorCode(body: string): string {
  return parseBody(body, ErrorBodySchema).error.code;
}

async function leftovers(userId: string) {
  const rows = await worker.current.db.select().from(images).where(eq(images.ownerId, userId));
  const bucket = await worker.current.mf.getR2Bucket("IMAGES");
  const objects = await bucket.list({ prefix: `images/${userId}/` });
  return { rows: rows.length, objects: objects.objects.length };
}

function chunk(data: Uint8Array | string): Buffer {
  const bytes = Buffer.from(data);
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
}

/** A whole request with a `Content-Length` body. */
function sized(method: string, path: string, headers: Record<string, string>, body: Uint8Array): Buffer {
  const head = requestHead(method, path, { ...headers, "Content-Length": String(body.length) });
  return Buffer.concat([Buffer.from(head), body]);
}

/** A whole request with a chunked body, one chunk per part. */
function chunked(
  method: string,
  path: string,
  headers: Record<string, string>,
  parts: Array<string | Uint8Array>,
) {
  const head = requestHead(method, path, { ...headers, "Transfer-Encoding": "chunked" });
  return Buffer.concat([Buffer.from(head), ...parts.map(chunk), chunk("")]);
}

const png = (auth?: string) => ({ ...(auth ? { Authorization: auth } : {}), "Content-Type": "image/png" });
const json = { "Content-Type": "application/json" };

describe("a refusal leaves the keep-alive connection usable", () => {
  /** `closes`: a declared length over the limit is never read, so the connection ends instead. */
  const cases: Array<{
    name: string;
    status: number;
    code: string;
    send: (auth: string) => Buffer;
    closes?: true;
  }> = [
    {
      name: "pixel bomb refused from its header (422)",
      status: 422,
      code: "image_too_many_pixels",
      send: (auth) => sized("POST", "/v1/images", png(auth), pngHeader(12_000, 12_000, 100_000)),
    },
    {
      name: "declared length over the upload limit (413, connection closed)",
      status: 413,
      code: "payload_too_large",
      closes: true,
      send: (auth) => sized("POST", "/v1/images", png(auth), pngHeader(64, 48, 300_000)),
    },
    {
      name: "raw upload without Content-Length (411)",
      status: 411,
      code: "length_required",
      send: (auth) => chunked("POST", "/v1/images", png(auth), [pngHeader(64, 48, 50_000)]),
    },
    {
      name: "unauthenticated upload (401)",
      status: 401,
      code: "unauthorized",
      send: () => sized("POST", "/v1/images", png(), pngHeader(64, 48, 150_000)),
    },
    {
      name: "a 5 MiB JSON login body (413, not a validation error; connection closed)",
      status: 413,
      code: "payload_too_large",
      closes: true,
      send: () =>
        sized(
          "POST",
          "/v1/auth/login",
          json,
          Buffer.from(JSON.stringify({ email: "a@example.com", password: "x".repeat(5 * 1024 * 1024) })),
        ),
    },
    {
      name: "a chunked JSON body that runs past the limit (413)",
      status: 413,
      code: "payload_too_large",
      send: () =>
        chunked("POST", "/v1/auth/register", json, [
          `{"email":"b@example.com","password":"${"y".repeat(100_000)}"}`,
        ]),
    },
    {
      name: "a body sent to a path that does not exist (404)",
      status: 404,
      code: "not_found",
      send: () => sized("POST", "/v1/nothing-here", {}, Buffer.alloc(40_000, 65)),
    },
    {
      name: "a body sent with a method the path does not allow (405)",
      status: 405,
      code: "method_not_allowed",
      send: (auth) => sized("PUT", "/v1/images", { Authorization: auth }, Buffer.alloc(40_000, 65)),
    },
  ];

  for (const { name, status, code, send, closes } of cases) {
    test(name, async () => {
      const { user, auth } = await signedInUser(worker.current);
      const connection = await openRawConnection(worker.current.origin);
      try {
        const written = connection.write(send(auth));
        // The server may close while a large declared body is still on its way.
        if (closes) written.catch(() => {});
        else await written;
        const refused = await connection.readResponse();
        expect(refused.status).toBe(status);
        expect(errorCode(refused.body)).toBe(code);
        if (closes) {
          for (let waited = 0; !connection.closed && waited < 3000; waited += 50) await Bun.sleep(50);
          expect(connection.closed).toBe(true);
        } else {
          await expectUsable(connection);
        }
        expect(await leftovers(user.id)).toEqual({ rows: 0, objects: 0 });
      } finally {
        connection.close();
      }
    });
  }
});

describe("bodies that break off, stall or never end", () => {
  test("an upload that ends before its declared length is 400 body_incomplete, with nothing stored", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const png = await imageFixtures.png(64, 48);
    const connection = await openRawConnection(worker.current.origin);
    try {
      await connection.write(
        requestHead("POST", "/v1/images", {
          Authorization: auth,
          "Content-Type": "image/png",
          "Content-Length": String(png.length + 5000),
        }),
      );
      await connection.write(png);
      connection.endWriting();
      const refused = await connection.readResponse();
      expect(refused.status).toBe(400);
      expect(errorCode(refused.body)).toBe("body_incomplete");
      expect(await leftovers(user.id)).toEqual({ rows: 0, objects: 0 });
    } finally {
      connection.close();
    }
  });

  test("a body that stops arriving is 408 request_timeout after the idle timeout", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const connection = await openRawConnection(worker.current.origin);
    try {
      const started = Date.now();
      await connection.write(
        requestHead("POST", "/v1/images", {
          Authorization: auth,
          "Content-Type": "image/png",
          "Content-Length": "100000",
        }),
      );
      await connection.write(pngHeader(64, 48, 10));
      const refused = await connection.readResponse(5000);
      expect(refused.status).toBe(408);
      expect(errorCode(refused.body)).toBe("request_timeout");
      expect(Date.now() - started).toBeGreaterThanOrEqual(Number(LIMITS.BODY_IDLE_TIMEOUT_MS) - 100);
      expect(Date.now() - started).toBeLessThan(4000);
      expect(await leftovers(user.id)).toEqual({ rows: 0, objects: 0 });
    } finally {
      connection.close();
    }
  });

  test("a byte-at-a-time body is 408 once the whole-body deadline passes", async () => {
    const { auth } = await signedInUser(worker.current);
    const connection = await openRawConnection(worker.current.origin);
    const started = Date.now();
    let answered = false;
    try {
      await connection.write(
        requestHead("POST", "/v1/images", {
          Authorization: auth,
          "Content-Type": "image/png",
          "Content-Length": "100000",
        }),
      );
      const header = pngHeader(64, 48, 0);
      const response = connection.readResponse(8000).finally(() => {
        answered = true;
      });
      // One byte every 200 ms: never idle for the idle timeout, but slower than the deadline allows.
      for (let i = 0; i < header.length && !answered && !connection.closed; i++) {
        await connection.write(header.subarray(i, i + 1)).catch(() => {});
        await Bun.sleep(200);
      }
      const refused = await response;
      expect(refused.status).toBe(408);
      expect(errorCode(refused.body)).toBe("request_timeout");
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(Number(LIMITS.BODY_READ_TIMEOUT_MS) - 100);
      expect(elapsed).toBeLessThan(Number(LIMITS.BODY_READ_TIMEOUT_MS) + 3000);
    } finally {
      connection.close();
    }
  });

  /** Sends a chunked multipart upload of `total` bytes, stopping when the server answers or closes. */
  async function chunkedMultipart(auth: string, total: number) {
    const connection = await openRawConnection(worker.current.origin);
    const boundary = "----hostile";
    const piece = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    let answered = false;
    await connection.write(
      requestHead("POST", "/v1/images", {
        Authorization: auth,
        "Content-Type": `multipart/form-data; boundary=${boundary}`,
        "Transfer-Encoding": "chunked",
      }),
    );
    await connection.write(
      chunk(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
    );
    const response = connection.readResponse(30_000).finally(() => {
      answered = true;
    });
    response.catch(() => {});
    while (sent < total && !answered && !connection.closed) {
      if (
        !(await connection.write(chunk(piece)).then(
          () => true,
          () => false,
        ))
      )
        break;
      sent += piece.length;
    }
    if (sent >= total) await connection.write(chunk("")).catch(() => {});
    return { connection, response, sent };
  }

  test("a chunked multipart upload over the limit is 413, and the connection stays usable", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const { connection, response } = await chunkedMultipart(auth, 1024 * 1024);
    try {
      const refused = await response;
      expect(refused.status).toBe(413);
      expect(errorCode(refused.body)).toBe("payload_too_large");
      await expectUsable(connection);
      expect(await leftovers(user.id)).toEqual({ rows: 0, objects: 0 });
    } finally {
      connection.close();
    }
  });

  test("an endless chunked upload is not read past the limit plus the drain budget", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const total = 64 * 1024 * 1024;
    const { connection, sent } = await chunkedMultipart(auth, total);
    try {
      // The server stopped reading after about limit + MAX_DRAIN_BYTES (8.2 MiB) and closed; what
      // the client managed to send beyond that sat in socket buffers.
      expect(sent).toBeLessThan(total / 2);
      expect(await leftovers(user.id)).toEqual({ rows: 0, objects: 0 });
    } finally {
      connection.close();
    }
  });
});
