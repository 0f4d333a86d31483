/**
 * Webhook signing in the Standard Webhooks format (https://www.standardwebhooks.com): the secret
 * is `whsec_` + base64 of 32 random bytes, the HMAC-SHA256 key is those bytes, the signed content
 * is `<webhook-id>.<webhook-timestamp>.<body>`, and the header value is `v1,<base64 signature>`.
 * Any Standard Webhooks library verifies these deliveries.
 */

const SECRET_PREFIX = "whsec_";

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

/** A new signing secret, shown to the owner once at creation. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** The `Webhook-Signature` header value for one delivery attempt. */
export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}
