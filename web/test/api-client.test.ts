import { describe, expect, test } from "bun:test";
import { ApiFailure, createApiClient, REFRESH_TOKEN_KEY } from "../src/api/client";
import { uploadContentType } from "../src/api/upload-content-type";

const user = { id: crypto.randomUUID(), email: "inspector@example.com", role: "user" };
const pair = (n: number) => ({
  accessToken: `access-${n}`,
  tokenType: "Bearer",
  expiresIn: 900,
  refreshToken: `refresh-${n}`,
  refreshTokenExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  user,
});

function memoryStorage() {
  const values = new Map<string, string>();
  return {
    values,
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
    removeItem: (key: string) => void values.delete(key),
  };
}

/**
 * A scripted API: `/v1/auth/*` as the edge answers them, and `/v1/things` accepting only the
 * access tokens listed in `valid`. Every call is recorded.
 */
function fakeApi(options: { refreshSucceeds?: boolean; valid?: Set<string> } = {}) {
  const calls: Array<{ path: string; authorization: string | null; body: string | null }> = [];
  let issued = 0;
  const valid = options.valid ?? new Set<string>();
  const fetch = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers as Headers | undefined);
    const body = typeof init.body === "string" ? init.body : null;
    calls.push({ path, authorization: headers.get("authorization"), body });
    // Other callers run while a refresh is in flight, as in a browser.
    await Bun.sleep(5);
    if (path === "/v1/auth/login") {
      issued++;
      valid.add(`access-${issued}`);
      return Response.json(pair(issued));
    }
    if (path === "/v1/auth/refresh") {
      if (options.refreshSucceeds === false)
        return Response.json(
          { error: { code: "unauthorized", message: "Invalid refresh token" } },
          { status: 401 },
        );
      issued++;
      valid.add(`access-${issued}`);
      return Response.json(pair(issued));
    }
    if (path === "/v1/auth/logout") return new Response(null, { status: 204 });
    const token = headers.get("authorization")?.replace("Bearer ", "") ?? "";
    if (!valid.has(token))
      return Response.json({ error: { code: "unauthorized", message: "Token expired" } }, { status: 401 });
    if (path === "/v1/broken")
      return Response.json(
        { error: { code: "not_found", message: "Job not found", requestId: "r1" } },
        { status: 404 },
      );
    return Response.json({ ok: true });
  };
  return { fetch, calls, valid };
}

describe("API client", () => {
  test("signing in keeps the access token in memory and the refresh token in storage", async () => {
    const server = fakeApi();
    const storage = memoryStorage();
    const client = createApiClient({ fetch: server.fetch, storage });
    await client.signIn("inspector@example.com", "pw");
    expect(client.session?.accessToken).toBe("access-1");
    expect([...storage.values.entries()]).toEqual([[REFRESH_TOKEN_KEY, "refresh-1"]]);
    expect(await client.call("/v1/things")).toEqual({ ok: true });
    expect(server.calls.at(-1)?.authorization).toBe("Bearer access-1");
  });

  test("a 401 is answered by one refresh and one retry, shared by calls that failed together", async () => {
    const server = fakeApi();
    const client = createApiClient({ fetch: server.fetch, storage: memoryStorage() });
    await client.signIn("inspector@example.com", "pw");
    server.valid.clear(); // the access token expired
    const results = await Promise.all([
      client.call("/v1/things"),
      client.call("/v1/things"),
      client.call("/v1/things"),
    ]);
    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    const refreshes = server.calls.filter((call) => call.path === "/v1/auth/refresh");
    // Refresh tokens are single use: a second exchange of refresh-1 would revoke the sign-in.
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]?.body).toBe(JSON.stringify({ refreshToken: "refresh-1" }));
    expect(server.calls.filter((call) => call.authorization === "Bearer access-2")).toHaveLength(3);
  });

  test("when the refresh fails too, the session ends and the call fails with session_expired", async () => {
    const server = fakeApi({ refreshSucceeds: false });
    const storage = memoryStorage();
    const client = createApiClient({ fetch: server.fetch, storage });
    const changes: Array<unknown> = [];
    client.onSessionChange((session) => changes.push(session));
    await client.signIn("inspector@example.com", "pw");
    server.valid.clear();
    const failure = await client.call("/v1/things").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiFailure);
    expect((failure as ApiFailure).code).toBe("session_expired");
    expect(client.session).toBeNull();
    expect(storage.values.size).toBe(0);
    expect(changes.at(-1)).toBeNull();
    // Once, not in a loop.
    expect(server.calls.filter((call) => call.path === "/v1/auth/refresh")).toHaveLength(1);
  });

  test("an API refusal carries the API's code and message", async () => {
    const server = fakeApi();
    const client = createApiClient({ fetch: server.fetch, storage: memoryStorage() });
    await client.signIn("inspector@example.com", "pw");
    const failure = (await client.call("/v1/broken").catch((error: unknown) => error)) as ApiFailure;
    expect([failure.status, failure.code, failure.message, failure.requestId]).toEqual([
      404,
      "not_found",
      "Job not found",
      "r1",
    ]);
  });

  test("a reloaded tab resumes from the stored refresh token", async () => {
    const server = fakeApi();
    const storage = memoryStorage();
    storage.setItem(REFRESH_TOKEN_KEY, "refresh-7");
    const client = createApiClient({ fetch: server.fetch, storage });
    expect(await client.resume()).toBe(true);
    expect(client.session?.accessToken).toBe("access-1");
    expect(storage.getItem(REFRESH_TOKEN_KEY)).toBe("refresh-1");
  });

  test("signing out revokes the sign-in and forgets it even when the server is unreachable", async () => {
    const server = fakeApi();
    const storage = memoryStorage();
    let offline = false;
    const client = createApiClient({
      fetch: (path, init) => (offline ? Promise.reject(new TypeError("offline")) : server.fetch(path, init)),
      storage,
    });
    await client.signIn("inspector@example.com", "pw");
    await client.signOut();
    expect(server.calls.at(-1)).toMatchObject({
      path: "/v1/auth/logout",
      body: JSON.stringify({ refreshToken: "refresh-1" }),
    });
    expect(client.session).toBeNull();
    expect(storage.values.size).toBe(0);

    await client.signIn("inspector@example.com", "pw");
    offline = true;
    await client.signOut();
    expect(client.session).toBeNull();
    expect(storage.values.size).toBe(0);
  });
});

describe("upload content type", () => {
  test("DICONDE files go as application/dicom, with or without a type from the browser; images keep theirs", () => {
    expect(uploadContentType({ name: "weld.dcm", type: "" })).toBe("application/dicom");
    expect(uploadContentType({ name: "WELD.DCM", type: "application/octet-stream" })).toBe(
      "application/dicom",
    );
    expect(uploadContentType({ name: "scan", type: "application/dicom" })).toBe("application/dicom");
    expect(uploadContentType({ name: "film.tif", type: "image/tiff" })).toBe("image/tiff");
    expect(uploadContentType({ name: "film", type: "" })).toBe("image/octet-stream");
  });
});
