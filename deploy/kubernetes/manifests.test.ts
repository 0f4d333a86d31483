import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { pullConsumerEnabled, redactConfig } from "@inference/config";
import { silentLogger } from "@inference/log";
import { Metrics } from "@inference/metrics";
import { createService, type Service } from "@inference/service";
import { parse } from "yaml";
import { validateManifest } from "./test/kubernetes-schemas";
import { containerEnv, serviceConfig } from "./test/pod-config";
import {
  IDENTITY,
  kubectlMissing,
  type Manifest,
  OVERLAYS,
  only,
  renderOverlay,
} from "./test/render-overlay";

// The kustomize overlays, rendered by kubectl as `kubectl apply -k` renders them, checked offline:
// every object against the Kubernetes (or KEDA) schema of its kind, then the policies
// docs/kubernetes.md promises, each read from the service's own configuration where it has one.

if (kubectlMissing) console.warn("kubectl not found: the Kubernetes manifest checks are skipped");

const BACKLOG_PATH = "/internal/v1/backlog";
const prometheusJobs = (
  parse(await readFile(fileURLToPath(new URL("../prometheus/prometheus.yml", import.meta.url)), "utf8")) as {
    scrape_configs: Manifest[];
  }
).scrape_configs;

const rendered = new Map<string, Manifest[]>();
beforeAll(async () => {
  if (kubectlMissing) return;
  for (const overlay of OVERLAYS) rendered.set(overlay, await renderOverlay(overlay, IDENTITY));
});

const manifestsOf = (overlay: string): Manifest[] => rendered.get(overlay) ?? [];
const podSpec = (manifests: Manifest[]): Manifest =>
  only(manifests, "Deployment", "inference").spec.template.spec;
const container = (manifests: Manifest[]): Manifest => {
  const containers = podSpec(manifests).containers as Manifest[];
  expect(containers).toHaveLength(1);
  return containers[0] as Manifest;
};
const podLabels = (manifests: Manifest[]): Record<string, string> =>
  only(manifests, "Deployment", "inference").spec.template.metadata.labels;
/** A label selector's matchLabels are some of the pod's labels (an empty selector would select every pod). */
const selects = (selector: Manifest, labels: Record<string, string>) => {
  const wanted = Object.entries(selector.matchLabels ?? {});
  return wanted.length > 0 && wanted.every(([key, value]) => labels[key] === value);
};

describe.skipIf(kubectlMissing)("schema validation", () => {
  test.each(OVERLAYS)("%s: every rendered object is valid for its apiVersion and kind", (overlay) => {
    const manifests = manifestsOf(overlay);
    // Generated ConfigMaps carry a content hash; the namespace is the overlay's.
    const named = (m: Manifest) =>
      m.kind === "Namespace"
        ? m.kind
        : `${m.kind} ${m.kind === "ConfigMap" ? m.metadata.name.replace(/-[a-z0-9]{10}$/, "") : m.metadata.name}`;
    expect(manifests.map(named).sort()).toEqual([
      "ConfigMap inference-edge",
      "ConfigMap inference-settings",
      "ConfigMap trainer-settings",
      "Deployment inference",
      "Namespace",
      "NetworkPolicy inference",
      "NetworkPolicy trainer",
      "PodDisruptionBudget inference",
      "ScaledJob trainer",
      "ScaledObject inference",
      "Service inference",
      "Service inference-metrics",
      "ServiceAccount inference",
      "ServiceAccount trainer",
      "TriggerAuthentication edge-operations",
    ]);
    for (const manifest of manifests) {
      expect(() => validateManifest(manifest), `${manifest.kind} ${manifest.metadata?.name}`).not.toThrow();
    }
  });

  test("the validator refuses an unknown kind and an invalid object", () => {
    expect(() => validateManifest({ apiVersion: "apps/v1", kind: "Deploymnet" })).toThrow(
      "no schema for apps/v1/Deploymnet",
    );
    expect(() => validateManifest({ apiVersion: "keda.sh/v1alpha2", kind: "ScaledObject" })).toThrow(
      "no schema",
    );
    const deployment = structuredClone(only(manifestsOf("staging"), "Deployment"));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = "eight";
    expect(() => validateManifest(deployment)).toThrow("containerPort");
  });

  test("an overlay without its edge.env does not render", async () => {
    await expect(renderOverlay("production", null)).rejects.toThrow("edge.env");
  });
});

describe.skipIf(kubectlMissing).each(OVERLAYS)("%s overlay", (overlay) => {
  test("everything lands in the overlay's namespace, which enforces the restricted pod security standard", () => {
    const manifests = manifestsOf(overlay);
    const namespace = only(manifests, "Namespace");
    expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const manifest of manifests.filter((m) => m.kind !== "Namespace")) {
      expect(manifest.metadata.namespace).toBe(namespace.metadata.name);
    }
  });

  test("the service's configuration is valid and runs the pull consumer against the overlay's edge", () => {
    const manifests = manifestsOf(overlay);
    const config = serviceConfig(container(manifests), manifests);
    expect(pullConsumerEnabled(config)).toBe(true);
    expect(config.EDGE_URL).toBe(IDENTITY.INFERENCE_EDGE_URL);
    expect(config.CF_QUEUE_ID).toBe(IDENTITY.INFERENCE_CF_QUEUE_ID);
  });

  test("secrets come only by reference: no Secret object, every secret setting from a secretKeyRef", () => {
    const manifests = manifestsOf(overlay);
    expect(manifests.filter((m) => m.kind === "Secret")).toEqual([]);
    const main = container(manifests);
    const masked = Object.entries(redactConfig(serviceConfig(main, manifests)))
      .filter(([, value]) => value === "***")
      .map(([name]) => name);
    expect(masked.sort()).toEqual([
      "INFERENCE_API_TOKEN",
      "INFERENCE_CALLBACK_TOKEN",
      "INFERENCE_CF_API_TOKEN",
    ]);
    for (const name of masked) {
      const variable = (main.env as Manifest[]).find((v) => v.name === name);
      expect(variable?.valueFrom?.secretKeyRef?.name, name).toBeString();
      expect(variable?.value, name).toBeUndefined();
    }
    for (const configMap of manifests.filter((m) => m.kind === "ConfigMap")) {
      for (const name of masked) expect(Object.keys(configMap.data)).not.toContain(name);
    }
  });

  test("runs as non-root with a read-only root filesystem, no privileges and no API token", () => {
    const manifests = manifestsOf(overlay);
    const pod = podSpec(manifests);
    const main = container(manifests);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext.seccompProfile.type).toBe("RuntimeDefault");
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(main.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
  });

  test("the places the service writes (/tmp, the cache folder) are writable volumes", () => {
    const manifests = manifestsOf(overlay);
    const pod = podSpec(manifests);
    const main = container(manifests);
    const writable = (main.volumeMounts as Manifest[])
      .filter(
        (mount) => (pod.volumes as Manifest[]).find((v) => v.name === mount.name)?.emptyDir !== undefined,
      )
      .map((mount) => mount.mountPath as string);
    const env = containerEnv(main, manifests);
    for (const path of ["/tmp", env.XDG_CACHE_HOME ?? "(XDG_CACHE_HOME unset)"]) {
      expect(
        writable.some((mount) => path === mount || path.startsWith(`${mount}/`)),
        path,
      ).toBe(true);
    }
  });

  test("resources are requested and limited, and the service's threads fit the CPU limit", () => {
    const manifests = manifestsOf(overlay);
    const main = container(manifests);
    for (const kind of ["requests", "limits"]) {
      expect(main.resources[kind].cpu, kind).toBeDefined();
      expect(main.resources[kind].memory, kind).toBeDefined();
    }
    const cpuLimit = Number(main.resources.limits.cpu);
    const config = serviceConfig(main, manifests);
    expect(config.INTRA_OP_THREADS + config.DECODE_CONCURRENCY).toBeLessThanOrEqual(cpuLimit);
  });

  test("probes: startup and liveness on /health, readiness on /ready, on the service's port", () => {
    const manifests = manifestsOf(overlay);
    const main = container(manifests);
    const config = serviceConfig(main, manifests);
    const port = (main.ports as Manifest[]).find((p) => p.name === "http");
    expect(port?.containerPort).toBe(config.PORT);
    expect(main.startupProbe.httpGet).toEqual({ path: "/health", port: "http" });
    expect(main.livenessProbe.httpGet).toEqual({ path: "/health", port: "http" });
    expect(main.readinessProbe.httpGet).toEqual({ path: "/ready", port: "http" });
    // Start-up measured at about half a second; the allowance covers slow nodes and larger models.
    expect(main.startupProbe.periodSeconds * main.startupProbe.failureThreshold).toBeGreaterThanOrEqual(30);
  });

  test("the grace period outlasts the service's own shutdown timeout", () => {
    const manifests = manifestsOf(overlay);
    const config = serviceConfig(container(manifests), manifests);
    expect(podSpec(manifests).terminationGracePeriodSeconds).toBeGreaterThan(
      config.SHUTDOWN_TIMEOUT_MS / 1000,
    );
  });

  test("the disruption budget and the Service select the Deployment's pods", () => {
    const manifests = manifestsOf(overlay);
    const labels = podLabels(manifests);
    const budget = only(manifests, "PodDisruptionBudget");
    expect(selects(budget.spec.selector, labels)).toBe(true);
    expect(budget.spec.maxUnavailable).toBe(1);
    const service = only(manifests, "Service", "inference");
    expect(selects({ matchLabels: service.spec.selector }, labels)).toBe(true);
    expect(service.spec.ports[0].targetPort).toBe("http");
  });

  test("Prometheus finds every pod, ready or not, through the headless metrics Service", () => {
    const manifests = manifestsOf(overlay);
    const config = serviceConfig(container(manifests), manifests);
    const metrics = only(manifests, "Service", "inference-metrics");
    expect(metrics.spec.clusterIP).toBe("None");
    expect(metrics.spec.publishNotReadyAddresses).toBe(true);
    expect(selects({ matchLabels: metrics.spec.selector }, podLabels(manifests))).toBe(true);
    const job = prometheusJobs.find((j) => j.job_name === "inference");
    const [discovery] = job?.dns_sd_configs ?? [];
    const namespace = only(manifests, "Namespace").metadata.name;
    expect(discovery?.names).toContain(`${metrics.metadata.name}.${namespace}.svc.cluster.local`);
    expect(discovery?.port).toBe(config.PORT);
    expect(job?.metrics_path).toBe("/metrics");
  });

  test("pods spread over zones and nodes", () => {
    const manifests = manifestsOf(overlay);
    const labels = podLabels(manifests);
    const constraints = podSpec(manifests).topologySpreadConstraints as Manifest[];
    expect(constraints.map((c) => c.topologyKey).sort()).toEqual([
      "kubernetes.io/hostname",
      "topology.kubernetes.io/zone",
    ]);
    for (const constraint of constraints) expect(selects(constraint.labelSelector, labels)).toBe(true);
  });

  test("egress is DNS and HTTPS to Cloudflare only; ingress is the Prometheus scrape only", () => {
    const manifests = manifestsOf(overlay);
    const policy = only(manifests, "NetworkPolicy", "inference");
    expect(selects(policy.spec.podSelector, podLabels(manifests))).toBe(true);
    expect(policy.spec.policyTypes.sort()).toEqual(["Egress", "Ingress"]);
    for (const rule of policy.spec.egress as Manifest[]) {
      const ports = (rule.ports as Manifest[]).map((p) => `${p.protocol}/${p.port}`).sort();
      if (ports.includes("TCP/443")) {
        expect(ports).toEqual(["TCP/443"]);
        for (const peer of rule.to as Manifest[]) {
          expect(Object.keys(peer)).toEqual(["ipBlock"]);
          expect(["0.0.0.0/0", "::/0"]).not.toContain(peer.ipBlock.cidr);
          expect(Number(peer.ipBlock.cidr.split("/")[1])).toBeGreaterThanOrEqual(13);
        }
      } else {
        expect(ports).toEqual(["TCP/53", "UDP/53"]);
        expect(rule.to).toEqual([
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ]);
      }
    }
    expect(policy.spec.ingress).toHaveLength(1);
    expect(policy.spec.ingress[0].ports).toEqual([{ protocol: "TCP", port: "http" }]);
  });

  test("KEDA scales the Deployment on the edge's backlog, one pod per MAX_IN_FLIGHT jobs", () => {
    const manifests = manifestsOf(overlay);
    const config = serviceConfig(container(manifests), manifests);
    const scaled = only(manifests, "ScaledObject").spec;
    expect(scaled.scaleTargetRef.name).toBe(only(manifests, "Deployment").metadata.name);
    expect(scaled.minReplicaCount).toBeLessThanOrEqual(scaled.maxReplicaCount);
    expect(scaled.fallback.replicas).toBeLessThanOrEqual(scaled.maxReplicaCount);
    const [trigger] = scaled.triggers as Manifest[];
    expect(trigger?.type).toBe("metrics-api");
    expect(trigger?.metadata).toMatchObject({
      url: `${config.EDGE_URL}${BACKLOG_PATH}`,
      format: "json",
      valueLocation: "backlog",
      targetValue: String(config.MAX_IN_FLIGHT),
      authMode: "bearer",
    });
    const auth = only(manifests, "TriggerAuthentication", trigger?.authenticationRef.name);
    expect(auth.spec.secretTargetRef).toEqual([
      { parameter: "token", name: "edge-operations", key: "token" },
    ]);
  });
});

test.skipIf(kubectlMissing)("production keeps a warm pod; staging scales to zero", () => {
  expect(only(manifestsOf("production"), "ScaledObject").spec.minReplicaCount).toBe(1);
  expect(only(manifestsOf("staging"), "ScaledObject").spec.minReplicaCount).toBe(0);
});

// The probe paths, asked of the service itself as the Deployment configures it.
describe.skipIf(kubectlMissing)("probe paths on the service", () => {
  let service: Service;
  let probes: Manifest;
  beforeAll(async () => {
    const manifests = manifestsOf("production");
    probes = container(manifests);
    const config = serviceConfig(probes, manifests);
    service = await createService(config, silentLogger, { metrics: new Metrics({ defaultMetrics: false }) });
    await service.models.warmup();
  });
  afterAll(async () => {
    await service?.close();
  });

  test("all answer 200 once warmed; on drain readiness fails while liveness holds", async () => {
    const status = async (probe: string) => (await service.app.request(probes[probe].httpGet.path)).status;
    expect(await status("startupProbe")).toBe(200);
    expect(await status("livenessProbe")).toBe(200);
    expect(await status("readinessProbe")).toBe(200);
    await service.drain();
    expect(await status("readinessProbe")).toBe(503);
    expect(await status("livenessProbe")).toBe(200);
  });
});
