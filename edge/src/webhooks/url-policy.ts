import { ApiError } from "../errors";

/**
 * Hosts a webhook must never target: the Worker would otherwise be a confused deputy probing
 * loopback, private networks and cloud metadata endpoints on the caller's behalf (SSRF).
 */
function isPrivateHost(hostname: string): boolean {
  // A fully qualified name's trailing dot ("localhost.") names the same host: drop it first.
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "");
  if (host.includes(":")) {
    if (host === "::" || host === "::1") return true;
    // IPv4-mapped addresses reach the IPv4 network they embed.
    if (host.startsWith("::ffff:")) return true;
    // Unique-local fc00::/7 and link-local fe80::/10.
    return /^(fc|fd|fe[89ab])/.test(host);
  }
  // Single-label names resolve through local search domains, never to the public internet.
  if (!host.includes(".")) return true;
  if (/\.(localhost|local|internal|home\.arpa)$/.test(host)) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  return false;
}

/**
 * Refuses a webhook URL unless it is https and names a public host. With `allowInsecure`
 * (local development and tests) http and private hosts are accepted.
 */
export function assertWebhookUrlAllowed(raw: string, allowInsecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ApiError("invalid_webhook_url", "Webhook URL is not a valid absolute URL");
  }
  if (url.username || url.password) {
    throw new ApiError("invalid_webhook_url", "Webhook URL must not carry credentials");
  }
  if (allowInsecure) {
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new ApiError("invalid_webhook_url", "Webhook URL must use http or https");
    }
    return url;
  }
  if (url.protocol !== "https:") throw new ApiError("invalid_webhook_url", "Webhook URL must use https");
  if (isPrivateHost(url.hostname)) {
    throw new ApiError(
      "invalid_webhook_url",
      "Webhook URL must name a public host (not localhost, a private, link-local or reserved address)",
    );
  }
  return url;
}
