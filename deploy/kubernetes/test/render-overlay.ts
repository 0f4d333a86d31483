import { spawnSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments, stringify } from "yaml";

const KUBERNETES_DIR = fileURLToPath(new URL("..", import.meta.url));

/** `kubectl` renders the overlays (`kubectl kustomize`, the same code `kubectl apply -k` runs). */
export const kubectlMissing = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status !== 0;

/** What an operator writes into an overlay's edge.env: the edge and the queues the pods serve. */
export type EdgeIdentity = Record<string, string>;

/** The edge.env the tests render with (the keys docs/kubernetes.md lists). */
export const IDENTITY = {
  INFERENCE_EDGE_URL: "https://edge.test",
  INFERENCE_CF_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
  INFERENCE_CF_QUEUE_ID: "fedcba9876543210fedcba9876543210",
  TRAINER_CF_QUEUE_ID: "00112233445566778899aabbccddeeff",
};

/** A rendered object, loosely typed: the tests read it the way the API server would. */
// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML; each test checks the fields it reads.
export type Manifest = Record<string, any>;

/**
 * Renders one overlay as `kubectl apply -k` would, with `identity` as its edge.env (or none when
 * null), from a copy of deploy/kubernetes so the working tree's own edge.env files are left alone;
 * `components` (folders under components/) are added to the overlay's own, as an operator would.
 * Throws with kubectl's message when rendering fails.
 */
export async function renderOverlay(
  overlay: string,
  identity: EdgeIdentity | null,
  components: string[] = [],
): Promise<Manifest[]> {
  const root = await mkdtemp(join(tmpdir(), "kubernetes-render-"));
  try {
    await cp(KUBERNETES_DIR, root, { recursive: true });
    const overlayDir = join(root, "overlays", overlay);
    const edgeEnv = join(overlayDir, "edge.env");
    await rm(edgeEnv, { force: true });
    if (identity !== null) {
      const lines = Object.entries(identity).map(([key, value]) => `${key}=${value}`);
      await writeFile(edgeEnv, `${lines.join("\n")}\n`);
    }
    if (components.length > 0) {
      const file = join(overlayDir, "kustomization.yaml");
      const kustomization = parse(await readFile(file, "utf8")) as { components?: string[] };
      kustomization.components = [
        ...(kustomization.components ?? []),
        ...components.map((name) => `../../components/${name}`),
      ];
      await writeFile(file, stringify(kustomization));
    }
    const result = spawnSync("kubectl", ["kustomize", overlayDir], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`kubectl kustomize ${overlay} failed: ${result.stderr.trim()}`);
    return parseAllDocuments(result.stdout).map((document) => {
      if (document.errors.length > 0) throw new Error(`invalid YAML from kustomize: ${document.errors[0]}`);
      return document.toJS() as Manifest;
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export const OVERLAYS = ["staging", "production"] as const;

/** The one object of `kind` (and `name`, when given); throws when there is none or several. */
export function only(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata?.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0] as Manifest;
}
