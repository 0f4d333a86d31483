import { describe, expect, test } from "bun:test";
import { ErrorBodySchema } from "@edge/openapi";
import { GENEROUS_AUTH_LIMITS, signedInUser } from "@scripts/testing/auth-fixtures";
import { openRawConnection, requestHead } from "@scripts/testing/raw-http";
import { parseBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";

/**
 * A body that declares more than the route takes is refused before anything is read, and at once:
 * with the default timeouts and drain budget (15 s idle, 64 MiB), draining a 60 MB declaration of
 * which 1 KB ever comes would hold the 413 until the idle timeout. The connection closes instead.
 */

const worker = useTestWorker({ vars: { ...GENEROUS_AUTH_LIMITS, MAX_IMAGE_BYTES: "200000" } });

/** Well under the default idle timeout (15 s), however busy the machine. */
const PROMPTLY_MS = 5000;

describe("a declared length over the limit", () => {
  test.each([
    ["an upload declaring 60 MB", "/v1/images", "image/png", 60_000_000],
    ["a JSON body declaring 10 MB", "/v1/auth/login", "application/json", 10_000_000],
  ])(
    "%s, of which 1 KB is sent: 413 at once, and the connection closes",
    async (_name, path, type, declared) => {
      const { auth } = await signedInUser(worker.current);
      const connection = await openRawConnection(worker.current.origin);
      try {
        const started = Date.now();
        await connection.write(
          requestHead("POST", path, {
            Authorization: auth,
            "Content-Type": type,
            "Content-Length": String(declared),
          }),
        );
        await connection.write(Buffer.alloc(1024, 0x20));
        const refused = await connection.readResponse(PROMPTLY_MS);
        expect(Date.now() - started).toBeLessThan(PROMPTLY_MS);
        expect(refused.status).toBe(413);
        expect(parseBody(refused.body, ErrorBodySchema).error.code).toBe("payload_too_large");
        // The guard's `Connection: close` is the runtime's to act on (workerd drops the header
        // itself): the server ends the connection rather than read the rest.
        for (let waited = 0; !connection.closed && waited < PROMPTLY_MS; waited += 50) await Bun.sleep(50);
        expect(connection.closed).toBe(true);
      } finally {
        connection.close();
      }
    },
  );
});
