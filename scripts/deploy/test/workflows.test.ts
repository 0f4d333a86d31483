import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../../local-stack/settings";
import { readWranglerConfig } from "../../local-stack/wrangler-config";

// The GitHub Actions workflows, checked offline: action-validator (GitHub's workflow schema,
// job references) on each file, then what they must do, read from the YAML itself.

const workflows = join(repoRoot, ".github/workflows");
const validator = join(repoRoot, "node_modules/.bin/action-validator");

async function validate(path: string) {
  const child = Bun.spawn([validator, path], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
  const [output, errors, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, output: output + errors };
}

type Step = {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
};
type Job = {
  if?: string;
  needs?: string | string[];
  uses?: string;
  with?: Record<string, string>;
  steps?: Step[];
  outputs?: Record<string, string>;
};
type Workflow = { on: Record<string, unknown>; jobs: Record<string, Job> };
/** A GitHub Actions expression, `${{ inner }}`, as the YAML holds it. */
const expression = (inner: string) => `$${"{{"} ${inner} }}`;
const read = async (name: string) => parse(await Bun.file(join(workflows, name)).text()) as Workflow;

describe("workflows: action-validator", () => {
  test("every workflow file passes", async () => {
    const files = (await readdir(workflows)).filter((name) => /\.ya?ml$/.test(name));
    expect(files.sort()).toEqual(["ci-cd.yml", "deploy.yml"]);
    for (const file of files) {
      const { code, output } = await validate(join(workflows, file));
      expect(`${file}: ${code} ${output}`.trim()).toBe(`${file}: 0`);
    }
  });

  test("and it does refuse a broken one (a job needing a job that does not exist)", async () => {
    const text = await Bun.file(join(workflows, "ci-cd.yml")).text();
    const dir = await mkdtemp(join(tmpdir(), "workflow-"));
    const broken = join(dir, "broken.yml");
    await writeFile(broken, text.replace("needs: test", "needs: tests"));
    const { code, output } = await validate(broken);
    expect(code).not.toBe(0);
    expect(output).toContain("unresolved job tests");
  });
});

describe("workflows: what CI/CD does", () => {
  test("CI runs .ci/run on every push and pull request", async () => {
    const ci = await read("ci-cd.yml");
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    expect(ci.jobs.test?.steps?.map((step) => step.run).filter(Boolean)).toEqual([".ci/run"]);
  });

  // Each image: its job, its Dockerfile, the variable naming its repository, the deploy input.
  const images = [
    { job: "image", file: "inference/Dockerfile", repository: "INFERENCE_IMAGE", input: "image-digest" },
    {
      job: "trainer-image",
      file: "inference/training/Dockerfile",
      repository: "TRAINER_IMAGE",
      input: "trainer-image-digest",
    },
  ];

  test.each(images)(
    "$job: built after the tests from $file, tagged with the commit, and its digest is what deploys",
    async ({ job, file, repository, input }) => {
      const ci = await read("ci-cd.yml");
      const image = ci.jobs[job] as Job;
      expect(image.needs).toBe("test");
      expect(image.if).toBe("github.event_name == 'push'");
      const build = image.steps?.find((step) => step.uses?.startsWith("docker/build-push-action"));
      expect(build?.with).toMatchObject({ context: ".", file, push: true });
      expect(String(build?.with?.tags)).toBe(
        `${expression(`vars.${repository}`)}:${expression("github.sha")}`,
      );
      expect(image.outputs?.digest).toBe(expression("steps.build.outputs.digest"));
      for (const name of ["staging", "production"]) {
        expect(ci.jobs[name]?.needs).toContain(job);
        expect(ci.jobs[name]?.with?.[input]).toBe(expression(`needs.${job}.outputs.digest`));
      }
      const deploy = await read("deploy.yml");
      const inputs = (deploy.on.workflow_call as { inputs: Record<string, { required?: boolean }> }).inputs;
      expect(inputs[input]?.required).toBe(true);
    },
  );

  test("main deploys staging, a v* tag deploys production, and nothing else deploys", async () => {
    const ci = await read("ci-cd.yml");
    expect(ci.on.push).toEqual({ branches: ["main"], tags: ["v*"] });
    const deploying = Object.entries(ci.jobs).filter(
      ([, job]) => job.uses === "./.github/workflows/deploy.yml",
    );
    expect(deploying.map(([name, job]) => [name, job.with?.environment, job.if])).toEqual([
      ["staging", "staging", "github.event_name == 'push' && github.ref == 'refs/heads/main'"],
      ["production", "production", "github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v')"],
    ]);
  });

  test("each deployed environment exists in wrangler.toml and as a kustomize overlay", async () => {
    const { env } = await readWranglerConfig();
    for (const name of ["staging", "production"]) {
      expect(Object.keys(env)).toContain(name);
      expect(existsSync(join(repoRoot, "deploy/kubernetes/overlays", name, "kustomization.yaml"))).toBe(true);
    }
  });

  test("a deploy migrates, then builds the web app and deploys the Worker, then both images by digest, then runs the smoke check", async () => {
    const deploy = await read("deploy.yml");
    const steps = deploy.jobs.deploy?.steps ?? [];
    const index = (pattern: RegExp) => steps.findIndex((step) => pattern.test(step.run ?? ""));
    const order = [
      index(/^npm run db:migrate$/),
      index(/^npm run build:web\nnpx wrangler deploy --env "\$DEPLOY_ENV"/),
      index(/kustomize edit set image "defect-inference=\$IMAGE"/),
      index(/^npm run deploy:smoke -- --url "\$INFERENCE_EDGE_URL"$/),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const kubernetes = steps[order[2] as number];
    expect(kubernetes?.env?.IMAGE).toBe(
      `${expression("vars.INFERENCE_IMAGE")}@${expression("inputs.image-digest")}`,
    );
    expect(kubernetes?.env?.TRAINER_IMAGE).toBe(
      `${expression("vars.TRAINER_IMAGE")}@${expression("inputs.trainer-image-digest")}`,
    );
    // Both images are pinned before the one apply of the overlay, which holds both workloads.
    const run = kubernetes?.run ?? "";
    const apply = run.indexOf('kubectl apply -k "$OVERLAY"');
    expect(run.indexOf('kustomize edit set image "defect-trainer=$TRAINER_IMAGE"')).toBeGreaterThan(-1);
    expect(run.indexOf('kustomize edit set image "defect-trainer=$TRAINER_IMAGE"')).toBeLessThan(apply);
    expect(run.indexOf('kustomize edit set image "defect-inference=$IMAGE"')).toBeLessThan(apply);
    expect(run).toContain("rollout status deployment/inference");
    expect(run).toContain("wait scaledjob/trainer --for=condition=Ready");
  });
});
