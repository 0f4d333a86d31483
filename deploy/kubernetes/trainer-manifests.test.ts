import { beforeAll, describe, expect, test } from "bun:test";
import { TRAIN_PULL_CONSUMER } from "@common/contracts/train-pull-consumer";
import { validateManifest } from "./test/kubernetes-schemas";
import { containerEnv, fromSecret } from "./test/pod-config";
import {
  IDENTITY,
  kubectlMissing,
  type Manifest,
  OVERLAYS,
  only,
  renderOverlay,
} from "./test/render-overlay";
import { trainerImageEnv, trainerPythonMissing, trainerSettings } from "./test/trainer-config";

// The trainers of the kustomize overlays (base/trainer, components/trainer-gpu), rendered by
// kubectl and checked offline: against KEDA's and Kubernetes' schemas, then the policies
// docs/kubernetes.md (Trainer) promises, read from the trainer's own settings (its settings.py,
// run by Debian's python3) and the train queue's consumer definition.

const BACKLOG_PATH = "/internal/v1/backlog";
const rendered = new Map<string, Manifest[]>();
let gpu: Manifest[] = [];
beforeAll(async () => {
  if (kubectlMissing) return;
  for (const overlay of OVERLAYS) rendered.set(overlay, await renderOverlay(overlay, IDENTITY));
  gpu = await renderOverlay("production", IDENTITY, ["trainer-gpu"]);
});

const manifestsOf = (overlay: string): Manifest[] => rendered.get(overlay) ?? [];
const scaledJob = (manifests: Manifest[]): Manifest => only(manifests, "ScaledJob", "trainer");
const podTemplate = (manifests: Manifest[]): Manifest => scaledJob(manifests).spec.jobTargetRef.template;
const container = (manifests: Manifest[]): Manifest => {
  const containers = podTemplate(manifests).spec.containers as Manifest[];
  expect(containers).toHaveLength(1);
  return containers[0] as Manifest;
};
/** What the trainer process sees: the image's ENV, then the pod's (which wins). */
const processEnv = (manifests: Manifest[]) => ({
  ...trainerImageEnv(),
  ...containerEnv(container(manifests), manifests),
});
const selects = (selector: Manifest, labels: Record<string, string>) => {
  const wanted = Object.entries(selector.matchLabels ?? {});
  return wanted.length > 0 && wanted.every(([key, value]) => labels[key] === value);
};

describe.skipIf(kubectlMissing).each(OVERLAYS)("%s overlay: trainer", (overlay) => {
  test("its objects are valid for their kinds and land in the overlay's namespace", () => {
    const manifests = manifestsOf(overlay);
    const namespace = only(manifests, "Namespace").metadata.name;
    for (const object of [
      scaledJob(manifests),
      only(manifests, "ServiceAccount", "trainer"),
      only(manifests, "NetworkPolicy", "trainer"),
    ]) {
      expect(() => validateManifest(object)).not.toThrow();
      expect(object.metadata.namespace).toBe(namespace);
    }
  });

  test.skipIf(trainerPythonMissing)(
    "the trainer's own settings check accepts the pod's environment: the overlay's edge, account and train queue",
    () => {
      const manifests = manifestsOf(overlay);
      const settings = trainerSettings(processEnv(manifests));
      expect(settings).toMatchObject({
        TRAINER_EDGE_URL: IDENTITY.INFERENCE_EDGE_URL,
        TRAINER_CF_ACCOUNT_ID: IDENTITY.INFERENCE_CF_ACCOUNT_ID,
        TRAINER_CF_QUEUE_ID: IDENTITY.TRAINER_CF_QUEUE_ID,
        // One pod, one run: the Job completes when its run does.
        TRAINER_ONCE: "True",
        // The train queue's lease, as the consumer is created with it.
        TRAINER_VISIBILITY_TIMEOUT_MS: String(TRAIN_PULL_CONSUMER.visibilityTimeoutSeconds * 1000),
        TRAINER_CALLBACK_TOKEN: "***",
        TRAINER_CF_API_TOKEN: "***",
      });
      // And it refuses an environment without its credentials, naming them.
      const { TRAINER_CALLBACK_TOKEN: _, ...withoutToken } = processEnv(manifests);
      expect(() => trainerSettings(withoutToken)).toThrow("TRAINER_CALLBACK_TOKEN is required");
    },
  );

  test("secrets come only by reference, from the trainer's own Secret", () => {
    const manifests = manifestsOf(overlay);
    const env = containerEnv(container(manifests), manifests);
    expect(env.TRAINER_CALLBACK_TOKEN).toBe(fromSecret("trainer-credentials", "callback-token"));
    expect(env.TRAINER_CF_API_TOKEN).toBe(fromSecret("trainer-credentials", "queue-api-token"));
    expect(manifests.filter((m) => m.kind === "Secret")).toEqual([]);
    for (const configMap of manifests.filter((m) => m.kind === "ConfigMap")) {
      expect(Object.keys(configMap.data)).not.toContain("TRAINER_CALLBACK_TOKEN");
      expect(Object.keys(configMap.data)).not.toContain("TRAINER_CF_API_TOKEN");
    }
  });

  test("runs as non-root with a read-only root filesystem, no privileges and no API token", () => {
    const manifests = manifestsOf(overlay);
    const pod = podTemplate(manifests).spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext.seccompProfile.type).toBe("RuntimeDefault");
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(only(manifests, "ServiceAccount", "trainer").metadata.name);
    expect(container(manifests).securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
  });

  test("the places the trainer writes (its work folder, HOME, caches) are on the writable volume", () => {
    const manifests = manifestsOf(overlay);
    const pod = podTemplate(manifests).spec;
    const writable = (container(manifests).volumeMounts as Manifest[])
      .filter((mount) => (pod.volumes as Manifest[]).find((v) => v.name === mount.name)?.emptyDir)
      .map((mount) => mount.mountPath as string);
    const env = processEnv(manifests);
    for (const name of ["TRAINER_WORK_DIR", "HOME", "XDG_CACHE_HOME"]) {
      const path = env[name] ?? `(${name} unset)`;
      expect(
        writable.some((mount) => path === mount || path.startsWith(`${mount}/`)),
        name,
      ).toBe(true);
    }
  });

  test("requests equal limits, and torch's threads fit the CPU limit", () => {
    const manifests = manifestsOf(overlay);
    const { resources } = container(manifests);
    expect(resources.requests).toEqual(resources.limits);
    const env = processEnv(manifests);
    expect(Number(env.TRAINER_THREADS)).toBeLessThanOrEqual(Number(resources.limits.cpu));
    expect(Number(env.OMP_NUM_THREADS)).toBe(Number(env.TRAINER_THREADS));
  });

  test("one Job per run: never retried by the Job, never outliving the queue's lease, left alone by the cluster autoscaler", () => {
    const manifests = manifestsOf(overlay);
    const { spec } = scaledJob(manifests);
    expect(spec.jobTargetRef).toMatchObject({
      parallelism: 1,
      completions: 1,
      backoffLimit: 0,
      activeDeadlineSeconds: TRAIN_PULL_CONSUMER.visibilityTimeoutSeconds,
    });
    expect(podTemplate(manifests).spec.restartPolicy).toBe("Never");
    expect(
      podTemplate(manifests).metadata.annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"],
    ).toBe("false");
    // A new spec reaches new Jobs; running ones keep training.
    expect(spec.rollout).toEqual({ strategy: "gradual" });
    expect(podTemplate(manifests).spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(300);
  });

  test("KEDA starts trainers on the edge's training backlog, one per run, through the operations token", () => {
    const manifests = manifestsOf(overlay);
    const { spec } = scaledJob(manifests);
    expect(spec.minReplicaCount).toBe(0);
    expect(spec.maxReplicaCount).toBeGreaterThanOrEqual(1);
    const [trigger] = spec.triggers as Manifest[];
    expect(trigger?.type).toBe("metrics-api");
    expect(trigger?.metadata).toMatchObject({
      url: `${IDENTITY.INFERENCE_EDGE_URL}${BACKLOG_PATH}`,
      format: "json",
      valueLocation: "trainings.backlog",
      targetValue: String(TRAIN_PULL_CONSUMER.batchSize),
      activationTargetValue: "0",
      authMode: "bearer",
    });
    const auth = only(manifests, "TriggerAuthentication", trigger?.authenticationRef.name);
    expect(auth.spec.secretTargetRef).toEqual([
      { parameter: "token", name: "edge-operations", key: "token" },
    ]);
  });

  test("egress is the inference pods' (DNS, HTTPS to Cloudflare); nothing may connect in", () => {
    const manifests = manifestsOf(overlay);
    const policy = only(manifests, "NetworkPolicy", "trainer");
    expect(selects(policy.spec.podSelector, podTemplate(manifests).metadata.labels)).toBe(true);
    expect(selects(policy.spec.podSelector, { "app.kubernetes.io/name": "inference" })).toBe(false);
    expect(policy.spec.policyTypes.sort()).toEqual(["Egress", "Ingress"]);
    expect(policy.spec.ingress ?? []).toEqual([]);
    expect(policy.spec.egress).toEqual(only(manifests, "NetworkPolicy", "inference").spec.egress);
  });
});

test.skipIf(kubectlMissing)("production trains up to 4 runs at once, staging 1", () => {
  expect(scaledJob(manifestsOf("production")).spec.maxReplicaCount).toBe(4);
  expect(scaledJob(manifestsOf("staging")).spec.maxReplicaCount).toBe(1);
});

test.skipIf(kubectlMissing)(
  "the GPU component gives each trainer one GPU, CUDA and the GPU nodes' toleration, and nothing else changes",
  () => {
    const plain = container(manifestsOf("production"));
    const main = container(gpu);
    expect(() => validateManifest(scaledJob(gpu))).not.toThrow();
    expect(main.resources.limits).toEqual({ ...plain.resources.limits, "nvidia.com/gpu": "1" });
    expect(containerEnv(main, gpu).TRAINER_DEVICE).toBe("cuda");
    expect(containerEnv(plain, manifestsOf("production")).TRAINER_DEVICE).toBeUndefined();
    expect(podTemplate(gpu).spec.tolerations).toEqual([
      { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
    ]);
    expect(only(gpu, "Deployment", "inference")).toEqual(
      only(manifestsOf("production"), "Deployment", "inference"),
    );
  },
);

test.skipIf(kubectlMissing)(
  "an edge.env without the train queue's id does not give a startable trainer",
  async () => {
    const { TRAINER_CF_QUEUE_ID: _, ...inferenceOnly } = IDENTITY;
    const manifests = await renderOverlay("staging", inferenceOnly);
    expect(() => containerEnv(container(manifests), manifests)).toThrow("has no key TRAINER_CF_QUEUE_ID");
  },
);
