import type { CredentialsSchema, RefreshRequestSchema } from "@edge/routes/auth/schema";
import type { z } from "zod";
import type { ErrorBody, TokenPair, User } from "./types";

type Credentials = z.input<typeof CredentialsSchema>;
type RefreshRequest = z.input<typeof RefreshRequestSchema>;

/** A refused or failed API call, carrying the API's stable code and its message for the user. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

/** Whether `error` is the API's refusal with this stable code (`not_found`, `promotion_gate`, ...). */
export const isFailure = (error: unknown, code: string): error is ApiFailure =>
  error instanceof ApiFailure && error.code === code;

/** Reads the standard error body; anything else (a proxy's HTML page) still gives a message. */
export async function failureOf(response: Response): Promise<ApiFailure> {
  const text = await response.text().catch(() => "");
  try {
    const { error } = JSON.parse(text) as ErrorBody;
    return new ApiFailure(response.status, error.code, error.message, error.requestId);
  } catch {
    return new ApiFailure(response.status, "http_error", `The server answered ${response.status}`);
  }
}

export type Session = { accessToken: string; refreshToken: string; user: User };

/** Key of the refresh token in sessionStorage (see the README, "Where tokens are kept"). */
export const REFRESH_TOKEN_KEY = "defects.refreshToken";

export type ClientOptions = {
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  /** Where the refresh token survives a reload of this tab: sessionStorage in the browser. */
  storage: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
    removeItem(key: string): void;
  };
};

/** An unauthenticated JSON POST (the auth endpoints), its body typed by the caller's schema. */
const postJson = <Body>(body: Body): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

type RequestOptions = Omit<RequestInit, "body" | "headers"> & {
  json?: unknown;
  body?: BodyInit | null;
  headers?: Record<string, string>;
};

/**
 * The API client: keeps the session, sends the access token, and on a 401 exchanges the refresh
 * token once (one exchange shared by every call that failed meanwhile, since refresh tokens are
 * single use) and retries; when that fails too the session ends.
 */
export function createApiClient(options: ClientOptions) {
  let session: Session | null = null;
  let refreshing: Promise<boolean> | null = null;
  const listeners = new Set<(session: Session | null) => void>();

  function setSession(next: Session | null) {
    session = next;
    if (next) options.storage.setItem(REFRESH_TOKEN_KEY, next.refreshToken);
    else options.storage.removeItem(REFRESH_TOKEN_KEY);
    for (const listener of listeners) listener(next);
  }

  const fromPair = (pair: TokenPair): Session => ({
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    user: pair.user,
  });

  async function exchange(refreshToken: string): Promise<boolean> {
    const response = await options.fetch("/v1/auth/refresh", postJson<RefreshRequest>({ refreshToken }));
    if (!response.ok) {
      await response.body?.cancel();
      setSession(null);
      return false;
    }
    setSession(fromPair((await response.json()) as TokenPair));
    return true;
  }

  function refreshOnce(): Promise<boolean> {
    const token = session?.refreshToken ?? options.storage.getItem(REFRESH_TOKEN_KEY);
    if (!token) return Promise.resolve(false);
    refreshing ??= exchange(token)
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  function withAuth(init: RequestOptions, accessToken: string | undefined): RequestInit {
    const headers = new Headers(init.headers);
    if (accessToken) headers.set("authorization", `Bearer ${accessToken}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    const { json: _json, ...rest } = init;
    return { ...rest, headers, body: body ?? null };
  }

  /** An authenticated request; the raw response (for downloads and event streams). */
  async function request(path: string, init: RequestOptions = {}): Promise<Response> {
    const sentWith = session?.accessToken;
    const response = await options.fetch(path, withAuth(init, sentWith));
    if (response.status !== 401) return response;
    await response.body?.cancel();
    // Another call may already have refreshed while this one was in flight.
    const renewed = session && session.accessToken !== sentWith ? true : await refreshOnce();
    if (!renewed)
      throw new ApiFailure(401, "session_expired", "Your session has ended. Please sign in again.");
    const retried = await options.fetch(path, withAuth(init, session?.accessToken));
    if (retried.status === 401) {
      await retried.body?.cancel();
      setSession(null);
      throw new ApiFailure(401, "session_expired", "Your session has ended. Please sign in again.");
    }
    return retried;
  }

  /** An authenticated JSON call; a non-2xx answer throws its `ApiFailure`. */
  async function call<T>(path: string, init: RequestOptions = {}): Promise<T> {
    const response = await request(path, init);
    if (!response.ok) throw await failureOf(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async function anonymous<T>(path: string, body: Credentials): Promise<T> {
    const response = await options.fetch(path, postJson(body));
    if (!response.ok) throw await failureOf(response);
    return (await response.json()) as T;
  }

  return {
    request,
    call,
    get session() {
      return session;
    },
    onSessionChange(listener: (session: Session | null) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async signIn(email: string, password: string): Promise<Session> {
      setSession(fromPair(await anonymous<TokenPair>("/v1/auth/login", { email, password })));
      return session as Session;
    },
    async register(email: string, password: string): Promise<void> {
      await anonymous<User>("/v1/auth/register", { email, password });
    },
    /** Picks the session up again after a reload, from the refresh token kept in this tab. */
    resume: (): Promise<boolean> => refreshOnce(),
    /** A new access token after a 401 seen outside `request` (uploads); false ends the session. */
    refresh: (): Promise<boolean> => refreshOnce(),
    /** Revokes the sign-in on the server, then forgets it here whatever the server said. */
    async signOut(): Promise<void> {
      const token = session?.refreshToken ?? options.storage.getItem(REFRESH_TOKEN_KEY);
      setSession(null);
      if (!token) return;
      await options
        .fetch("/v1/auth/logout", postJson<RefreshRequest>({ refreshToken: token }))
        .then((response) => response.body?.cancel())
        .catch(() => undefined);
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
