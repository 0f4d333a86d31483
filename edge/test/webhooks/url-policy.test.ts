import { describe, expect, test } from "bun:test";
import {
  CreatedWebhookSchema,
  WebhookDeliveryPageSchema,
  WebhookPageSchema,
} from "@edge/routes/webhooks/schema";
import { isNonPublicAddress } from "@edge/webhooks/url-policy";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { useDnsOverHttps } from "@scripts/testing/dns-over-https";
import { arrangeJob, eventually, postResult, succeededResult } from "@scripts/testing/job-fixtures";
import { expectError, readBody, readError } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";

/** The production policy: https only, decided by the addresses a name resolves to. */

const PUBLIC_V4 = "93.184.215.14";
const PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c";

const dns = useDnsOverHttps({
  "hooks.example.com": { A: [PUBLIC_V4], AAAA: [PUBLIC_V6] },
  "v4only.example.com": { A: [PUBLIC_V4] },
  "rebound.example.com": { A: ["10.0.0.5"] },
  "metadata.example.com": { A: ["169.254.169.254"] },
  "split.example.com": { A: [PUBLIC_V4], AAAA: ["fd00::1"] },
  "mapped.example.com": { AAAA: ["::ffff:127.0.0.1"] },
  "loopback.example.com": { A: ["127.0.0.1"] },
  "broken.example.com": "servfail",
});

const strict = useTestWorker({
  vars: { WEBHOOK_DNS_RESOLVER_URL: dns.url },
  queueConsumers: { webhooks: { max_batch_timeout: 0.2, max_retries: 2 } },
});

let signedIn: Promise<{ auth: string; userId: string }> | undefined;
const strictUser = () => {
  signedIn ??= signedInUser(strict.current).then(({ auth, user }) => ({ auth, userId: user.id }));
  return signedIn;
};

/** Subscribed to failures only by default, so the delivery test's success reaches one webhook. */
async function createWebhook(url: string, events = ["job.failed"]) {
  const { auth } = await strictUser();
  return strict.current.fetch("/v1/webhooks", {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify({ url, events }),
  });
}

describe("addresses", () => {
  test.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.10",
    "169.254.169.254",
    "100.100.100.200",
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fd00::1",
    "::ffff:10.0.0.1",
    "2001:db8::1",
  ])("%s is not public", (address) => {
    expect(isNonPublicAddress(address)).toBe(true);
  });

  test.each(["93.184.215.14", "8.8.8.8", PUBLIC_V6, "2606:4700:4700::1111"])("%s is public", (address) => {
    expect(isNonPublicAddress(address)).toBe(false);
  });
});

describe("registration", () => {
  test.each([
    ["http://hooks.example.com/x", "https"],
    ["ftp://hooks.example.com/x", "https"],
    ["not a url", "valid absolute URL"],
    ["https://user:pass@hooks.example.com/x", "credentials"],
    ["https://localhost/x", "local host name"],
    ["https://localhost./x", "local host name"],
    ["https://intranet./x", "local host name"],
    ["https://intranet/x", "local host name"],
    ["https://metadata.internal./x", "local host name"],
    ["https://printer.local/x", "local host name"],
    ["https://127.0.0.1/x", "non-public address"],
    ["https://10.1.2.3/x", "non-public address"],
    ["https://169.254.169.254/latest/meta-data", "non-public address"],
    ["https://[::1]/x", "non-public address"],
    ["https://[fd00::1]/x", "non-public address"],
    ["https://[::ffff:127.0.0.1]/x", "non-public address"],
    ["https://rebound.example.com/x", "resolves to a non-public address (10.0.0.5)"],
    ["https://metadata.example.com/x", "resolves to a non-public address (169.254.169.254)"],
    ["https://split.example.com/x", "resolves to a non-public address (fd00::1)"],
    ["https://mapped.example.com/x", "resolves to a non-public address"],
    ["https://loopback.example.com./x", "resolves to a non-public address (127.0.0.1)"],
    ["https://nowhere.example.com/x", "does not resolve"],
  ])("%s is refused with invalid_webhook_url", async (url, reason) => {
    const response = await createWebhook(url);
    const error = await expectError(response, 400, "invalid_webhook_url");
    expect(error.message).toContain(reason);
  });

  test.each([
    "https://hooks.example.com/defects",
    "https://v4only.example.com/defects",
    `https://${PUBLIC_V4}/x`,
  ])("%s (public addresses only) is accepted", async (url) => {
    const response = await createWebhook(url);
    expect(response.status).toBe(201);
  });

  test("a resolver that cannot answer is 503 with Retry-After, and nothing is registered", async () => {
    const response = await createWebhook("https://broken.example.com/x");
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect((await readError(response)).code).toBe("service_unavailable");
    const { auth } = await strictUser();
    const list = await readBody(
      await strict.current.fetch("/v1/webhooks", { headers: { Authorization: auth } }),
      WebhookPageSchema,
    );
    expect(list.items.map((w) => w.url)).not.toContain("https://broken.example.com/x");
  });
});

describe("delivery", () => {
  test("a name re-pointed at a private address after registration is refused at delivery, for good", async () => {
    dns.set("moving.example.com", { A: [PUBLIC_V4] });
    const response = await createWebhook("https://moving.example.com/hook", ["job.succeeded"]);
    expect(response.status).toBe(201);
    const { webhook } = await readBody(response, CreatedWebhookSchema);
    dns.set("moving.example.com", { A: ["192.168.0.10"] });

    const { auth, userId } = await strictUser();
    const { jobId } = await arrangeJob(strict.current, userId);
    await postResult(strict.current, jobId, succeededResult(jobId));
    const delivery = await eventually(async () => {
      const log = await readBody(
        await strict.current.fetch(`/v1/webhooks/${webhook.id}/deliveries`, {
          headers: { Authorization: auth },
        }),
        WebhookDeliveryPageSchema,
      );
      return log.items.find((item) => item.status !== "pending");
    });
    expect(delivery.status).toBe("failed");
    expect(delivery.attempts).toBe(1);
    expect(delivery.lastError).toContain("non-public address (192.168.0.10)");
    expect(dns.queries.filter((q) => q.name === "moving.example.com").length).toBeGreaterThanOrEqual(4);
  });
});
