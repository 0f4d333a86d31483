import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { EXTERNAL_METRIC_NAMES, platformMetricNames } from "../test/metric-names";
import { seriesNames } from "../test/promql-names";

// The scrape configuration and the alert rules, checked by Prometheus' own promtool, and the rules'
// unit tests (alerts.test.yml) run by it. CI installs promtool (Debian's "prometheus"); without it
// these checks are skipped with a notice.

const DIR = fileURLToPath(new URL(".", import.meta.url));
const promtoolMissing = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status !== 0;
if (promtoolMissing)
  console.warn("promtool not found: the Prometheus configuration and alert checks are skipped");

function promtool(args: string[], cwd = DIR): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

type Rule = { alert?: string; record?: string; expr: string };
type RuleTest = { alertname: string; exp_alerts: unknown[] };
const rules = (
  parse(await readFile(join(DIR, "alerts.yml"), "utf8")) as { groups: { rules: Rule[] }[] }
).groups.flatMap((group) => group.rules);
const ruleTests = (
  parse(await readFile(join(DIR, "alerts.test.yml"), "utf8")) as {
    tests: { input_series: unknown[]; alert_rule_test: RuleTest[] }[];
  }
).tests;

describe.skipIf(promtoolMissing)("promtool", () => {
  test("the alert rules are valid", () => {
    const { status, output } = promtool(["check", "rules", "alerts.yml"]);
    expect(output).toContain("SUCCESS");
    expect(status).toBe(0);
  });

  test("the scrape configuration is valid, with the files a deployment mounts next to it", async () => {
    const root = await mkdtemp(join(tmpdir(), "prometheus-config-"));
    try {
      await copyFile(join(DIR, "prometheus.yml"), join(root, "prometheus.yml"));
      await copyFile(join(DIR, "alerts.yml"), join(root, "alerts.yml"));
      await mkdir(join(root, "secrets", "edge-operations"), { recursive: true });
      await writeFile(join(root, "secrets", "edge-operations", "token"), "operations-token\n");
      await mkdir(join(root, "targets"));
      await writeFile(
        join(root, "targets", "edge.json"),
        JSON.stringify([{ targets: ["edge.test"], labels: { environment: "production" } }]),
      );
      const { status, output } = promtool(["check", "config", "prometheus.yml"], root);
      expect(output).toContain("1 rule files found");
      expect(status).toBe(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test("the check refuses a rule file with an invalid expression", async () => {
    const root = await mkdtemp(join(tmpdir(), "prometheus-rules-"));
    try {
      await writeFile(
        join(root, "broken.yml"),
        "groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m])\n",
      );
      expect(promtool(["check", "rules", "broken.yml"], root).status).not.toBe(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test("every alert behaves as its unit tests say (promtool test rules)", () => {
    const { status, output } = promtool(["test", "rules", "alerts.test.yml"]);
    expect(output).toContain("SUCCESS");
    expect(status).toBe(0);
  });
});

describe("alert rules", () => {
  const alerts = [...new Set(rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])))];

  test("every alert has a unit test that makes it fire and one that keeps it silent", () => {
    for (const alert of alerts) {
      const cases = ruleTests.filter((t) => t.alert_rule_test.some((r) => r.alertname === alert));
      const fires = cases.some((t) =>
        t.alert_rule_test.some((r) => r.alertname === alert && r.exp_alerts.length > 0),
      );
      // Silent: an evaluation expecting nothing, or input series beyond those expected to fire.
      const silent = cases.some((t) => {
        const checks = t.alert_rule_test.filter((r) => r.alertname === alert);
        return (
          checks.some((r) => r.exp_alerts.length === 0) ||
          t.input_series.length > Math.max(...checks.map((r) => r.exp_alerts.length))
        );
      });
      expect({ alert, fires, silent }).toEqual({ alert, fires: true, silent: true });
    }
  });

  test("every expression reads only series that exist", async () => {
    const known = new Set([
      ...(await platformMetricNames()),
      ...EXTERNAL_METRIC_NAMES,
      ...rules.flatMap((rule) => (rule.record ? [rule.record] : [])),
    ]);
    for (const rule of rules) {
      for (const name of seriesNames(rule.expr))
        expect(known, `${rule.alert ?? rule.record}: ${name}`).toContain(name);
    }
  });

  test("every alert says how bad it is and what happened", () => {
    for (const rule of rules.filter((r) => r.alert)) {
      const { labels, annotations } = rule as Rule & { labels?: { severity?: string }; annotations?: object };
      expect(["warning", "critical"]).toContain(labels?.severity ?? "");
      expect(Object.keys(annotations ?? {}).sort()).toEqual(["description", "summary"]);
    }
  });
});
