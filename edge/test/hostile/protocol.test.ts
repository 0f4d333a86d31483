import { describe, expect, test } from "bun:test";
import { ErrorBodySchema } from "@edge/openapi";
import { ApiKeyListSchema } from "@edge/routes/api-keys/schema";
import {
  GENEROUS_AUTH_LIMITS,
  login,
  registerUser,
  signedInUser,
  uniqueEmail,
} from "@scripts/testing/auth-fixtures";
import { openRawConnection, requestHead } from "@scripts/testing/raw-http";
import { expectError, parseBody, readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";

/**
 * Protocol-level tricks an attacker tries before the body: smuggling, duplicated credentials,
 * encoded paths towards the internal API, oversized headers, look-alike email addresses. None
 * may reach a route it should not, and none may produce a 5xx from the Worker.
 */

const worker = useTestWorker({ vars: GENEROUS_AUTH_LIMITS });

describe("request framing", () => {
  test("Content-Length with Transfer-Encoding: the chunked framing wins and a smuggled request is a request of its own", async () => {
    const { auth } = await signedInUser(worker.current);
    const connection = await openRawConnection(worker.current.origin);
    try {
      // The first request carries a credential; the smuggled one hides in what CL would call its body.
      await connection.write(
        `POST /v1/auth/logout HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/me HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      const first = await connection.readResponse();
      expect(first.status).toBeLessThan(500);
      const smuggled = await connection.readResponse();
      // Answered as an anonymous request: it did not ride on the first request's credential.
      expect(smuggled.status).toBe(401);
      expect(parseBody(smuggled.body, ErrorBodySchema).error.code).toBe("unauthorized");
    } finally {
      connection.close();
    }
  });

  test("a second Authorization header next to a valid one is refused, not picked from", async () => {
    const { auth } = await signedInUser(worker.current);
    const connection = await openRawConnection(worker.current.origin);
    try {
      await connection.write(
        `GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nAuthorization: Bearer forged\r\n\r\n`,
      );
      const answer = await connection.readResponse();
      expect(answer.status).toBe(401);
      await connection.write(requestHead("GET", "/v1/me", { Authorization: auth }));
      expect((await connection.readResponse()).status).toBe(200);
    } finally {
      connection.close();
    }
  });

  test("a header block over the runtime's limit is 431, and the Worker is never reached", async () => {
    const connection = await openRawConnection(worker.current.origin);
    try {
      await connection.write(requestHead("GET", "/health", { "X-Padding": "a".repeat(200_000) }));
      expect((await connection.readResponse()).status).toBe(431);
    } finally {
      connection.close();
    }
  });
});

describe("encoded paths", () => {
  const job = "00000000-0000-4000-8000-000000000000";
  test.each([
    ["POST", `/%69nternal/v1/jobs/${job}/claim`, [401]],
    ["POST", `/internal%2fv1/jobs/${job}/claim`, [404]],
    ["GET", "/v1/images/..%2f..%2finternal/v1/backlog", [401, 404]],
    ["GET", "/v1/images/%2e%2e/%2e%2e/internal/v1/backlog", [401, 404]],
    ["GET", "/V1/images", [404]],
    ["GET", "/v1//images", [404]],
    ["GET", "/v1/images/%00", [401]],
    ["GET", "/v1/images/%E0%A4%A", [401]],
  ] as const)("%s %s never reaches a route without its credential", async (method, path, statuses) => {
    const connection = await openRawConnection(worker.current.origin);
    try {
      await connection.write(requestHead(method, path, method === "POST" ? { "Content-Length": "2" } : {}));
      if (method === "POST") await connection.write("{}");
      const answer = await connection.readResponse();
      expect(statuses as readonly number[]).toContain(answer.status);
      expect(JSON.parse(answer.body)).toHaveProperty("error.code");
    } finally {
      connection.close();
    }
  });
});

describe("look-alike email addresses", () => {
  test("a full-width or differently composed address is the same account (NFKC), not a second one", async () => {
    const email = uniqueEmail("ines");
    const user = await registerUser(worker.current, { email });
    const fullWidth = email.replace("ines", "ｉｎｅｓ");
    const again = await worker.current.fetch("/v1/auth/register", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: fullWidth, password: user.password }),
    });
    await expectError(again, 409, "email_taken");
    expect(
      (await login(worker.current, { email: fullWidth.toUpperCase(), password: user.password })).accessToken,
    ).toBeString();
  });
});

describe("values the database cannot store", () => {
  test("a NUL character in a text field no schema forbids is 400 validation_failed, not a 5xx", async () => {
    const { auth } = await signedInUser(worker.current);
    const response = await worker.current.fetch("/v1/api-keys", {
      method: "POST",
      headers: { Authorization: auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "scanner\u0000two", scopes: ["images:read"] }),
    });
    await expectError(response, 400, "validation_failed");
    const keys = await readBody(
      await worker.current.fetch("/v1/api-keys", { headers: { Authorization: auth } }),
      ApiKeyListSchema,
    );
    expect(keys.items).toHaveLength(0);
  });
});
