/** Permissions an API key can carry. Users signed in with a token hold every scope their role allows. */
export const scopes = [
  "images:read",
  "images:write",
  "jobs:read",
  "jobs:write",
  "datasets:read",
  "datasets:write",
  "trainings:read",
  "trainings:write",
  "models:read",
  "models:write",
  "admin",
] as const;
export type Scope = (typeof scopes)[number];

/** A user's scopes: every scope but `admin`, in order. An admin-only scope added later is excluded here too. */
export const userScopes: readonly Scope[] = scopes.filter((scope) => scope !== "admin");

export type Role = "user" | "admin";

export function scopesForRole(role: Role): Scope[] {
  return role === "admin" ? [...userScopes, "admin"] : [...userScopes];
}

/** The authenticated caller, set by the `authenticate` middleware. */
export type Principal = {
  userId: string;
  role: Role;
  email: string;
  /** When the account was created (shown by `/v1/me` without another lookup). */
  userCreatedAt: Date;
  via: "token" | "api_key";
  /** For API keys: the key's scopes, never more than its owner's role allows. */
  scopes: Scope[];
  apiKeyId?: string;
  /** When the credential stops being accepted: the access token's `exp`, the key's expiry (null: none). */
  expiresAt: Date | null;
};
