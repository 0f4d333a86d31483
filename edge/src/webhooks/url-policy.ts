import ipaddr from "ipaddr.js";
import { z } from "zod";
import { ApiError } from "../errors";

/**
 * Where a webhook may point. The Worker would otherwise be a confused deputy probing loopback,
 * private networks and cloud metadata endpoints on the caller's behalf (SSRF).
 *
 * The decision is made on addresses, not on names: a name is resolved (DNS over HTTPS, the only
 * resolver a Worker has) and refused if any of its A or AAAA records is not a public unicast
 * address, or if it has none. The check runs when the webhook is registered and again before
 * every delivery, so a name re-pointed at a private address after registration is caught at
 * delivery. What remains is the window between this check and the resolution `fetch` does
 * itself (DNS rebinding within seconds); Workers cannot connect to a checked address directly, and
 * Cloudflare's network does not route Workers' subrequests into private networks, which is the
 * backstop. With `WEBHOOK_ALLOW_INSECURE_URLS` (local development and tests) http and private
 * hosts are accepted and nothing is resolved.
 */

export type UrlPolicySettings = {
  WEBHOOK_ALLOW_INSECURE_URLS: boolean;
  /** A DNS-over-HTTPS endpoint speaking the JSON API (`application/dns-json`). */
  WEBHOOK_DNS_RESOLVER_URL: string;
  WEBHOOK_DNS_TIMEOUT_MS: number;
};

/** ipaddr.js's name for public unicast space; every other range (private, loopback, ...) is refused. */
const PUBLIC_RANGE = "unicast";

/** Names that never resolve on the public internet, whatever a resolver answers. */
const LOCAL_SUFFIX = /(^|\.)(localhost|local|internal|intranet|lan|home\.arpa|localdomain)$/;

/** DNS record types in answers: A and AAAA; CNAMEs on the way are followed by the resolver. */
const RECORD_TYPES = { A: 1, AAAA: 28 } as const;

const DnsJsonSchema = z.object({
  Status: z.number(),
  Answer: z.array(z.object({ type: z.number(), data: z.string() })).optional(),
});

function refuse(message: string): never {
  throw new ApiError("invalid_webhook_url", message);
}

/** Whether an IP literal is outside public unicast space (IPv4-mapped IPv6 judged as its IPv4). */
export function isNonPublicAddress(address: string): boolean {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() !== PUBLIC_RANGE;
}

/** The checks that need no network: syntax, scheme, credentials, IP literals, local names. */
function parseWebhookUrl(raw: string, allowInsecure: boolean): { url: URL; host: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    refuse("Webhook URL is not a valid absolute URL");
  }
  if (url.username || url.password) refuse("Webhook URL must not carry credentials");
  const allowed = allowInsecure ? ["https:", "http:"] : ["https:"];
  if (!allowed.includes(url.protocol))
    refuse(`Webhook URL must use ${allowInsecure ? "http or https" : "https"}`);
  // "localhost." names the same host as "localhost": the trailing dot is dropped before judging.
  const host = url.hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "")
    .toLowerCase();
  if (allowInsecure) return { url, host };
  if (ipaddr.isValid(host)) {
    if (isNonPublicAddress(host)) refuse(`Webhook URL names a non-public address (${host})`);
  } else if (!host.includes(".") || LOCAL_SUFFIX.test(host)) {
    refuse(`Webhook URL names a local host name (${host})`);
  }
  return { url, host };
}

/** A and AAAA addresses of `host` through DNS over HTTPS; 503 when the resolver cannot answer. */
async function resolveAddresses(host: string, settings: UrlPolicySettings): Promise<string[]> {
  const lookups = Object.entries(RECORD_TYPES).map(async ([name, type]) => {
    const url = new URL(settings.WEBHOOK_DNS_RESOLVER_URL);
    url.searchParams.set("name", host);
    url.searchParams.set("type", name);
    let answer: z.infer<typeof DnsJsonSchema>;
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/dns-json" },
        signal: AbortSignal.timeout(settings.WEBHOOK_DNS_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`resolver answered HTTP ${response.status}`);
      answer = DnsJsonSchema.parse(await response.json());
    } catch (error) {
      throw new ApiError("service_unavailable", "The webhook host could not be checked; try again", {
        headers: { "Retry-After": "5" },
        cause: error,
      });
    }
    // 0 NOERROR, 3 NXDOMAIN: an answer. SERVFAIL and the rest say nothing about the name.
    if (answer.Status !== 0 && answer.Status !== 3) {
      throw new ApiError(
        "service_unavailable",
        `The webhook host could not be checked (DNS status ${answer.Status})`,
        {
          headers: { "Retry-After": "5" },
        },
      );
    }
    return (answer.Answer ?? []).filter((record) => record.type === type).map((record) => record.data);
  });
  return (await Promise.all(lookups)).flat();
}

/**
 * Refuses a webhook URL (400 `invalid_webhook_url`) unless it is https and every address its host
 * resolves to is public; 503 `service_unavailable` when the resolver cannot answer.
 */
export async function checkWebhookUrl(raw: string, settings: UrlPolicySettings): Promise<URL> {
  const { url, host } = parseWebhookUrl(raw, settings.WEBHOOK_ALLOW_INSECURE_URLS);
  if (settings.WEBHOOK_ALLOW_INSECURE_URLS || ipaddr.isValid(host)) return url;
  const addresses = await resolveAddresses(host, settings);
  if (addresses.length === 0) refuse(`Webhook host ${host} does not resolve to any address`);
  const blocked = addresses.filter((address) => !ipaddr.isValid(address) || isNonPublicAddress(address));
  if (blocked.length > 0)
    refuse(`Webhook host ${host} resolves to a non-public address (${blocked.join(", ")})`);
  return url;
}
