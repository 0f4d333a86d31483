import { describe, expect, test } from "bun:test";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXTERNAL_METRIC_NAMES, platformMetricNames } from "../test/metric-names";
import { seriesNames } from "../test/promql-names";

// Every dashboard in this folder, checked for the structure Grafana needs to import it and for
// queries that read only series the platform (or Prometheus itself) actually exposes.

const DIR = fileURLToPath(new URL(".", import.meta.url));
const GRID_COLUMNS = 24;

type Target = { refId: string; expr: string; datasource?: { uid?: string } };
type Panel = {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
};
type Variable = { name: string; type: string; query?: string | { query: string } };
type Dashboard = {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
};

const files = (await readdir(DIR)).filter((file) => file.endsWith(".json"));
const dashboards = await Promise.all(
  files.map(async (file) => ({
    file,
    dashboard: JSON.parse(await readFile(join(DIR, file), "utf8")) as Dashboard,
  })),
);
/** Panels with those nested in collapsed rows. */
const allPanels = (dashboard: Dashboard): Panel[] =>
  dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = (dashboard: Dashboard): Panel[] => allPanels(dashboard).filter((p) => p.type !== "row");
/** The series selector of a variable's query: `label_values(selector, label)` names a label, not a series. */
const variableSelector = (variable: Variable): string =>
  (typeof variable.query === "string" ? variable.query : (variable.query?.query ?? "")).replace(
    /^label_values\((.+),\s*\w+\)$/,
    "$1",
  );

test("there is at least one dashboard, and uids are unique across them", () => {
  expect(files.length).toBeGreaterThan(0);
  const uids = dashboards.map(({ dashboard }) => dashboard.uid);
  expect(new Set(uids).size).toBe(uids.length);
});

describe.each(dashboards)("$file", ({ dashboard }) => {
  test("has what an import needs: uid, title, schema version, panels", () => {
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.title).toBeString();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.panels.length).toBeGreaterThan(0);
  });

  test("panel ids are unique and every panel fits the 24-column grid", () => {
    const panels = allPanels(dashboard);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const { title, gridPos } of panels) {
      expect(gridPos.w, title).toBeGreaterThan(0);
      expect(gridPos.h, title).toBeGreaterThan(0);
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(GRID_COLUMNS);
    }
  });

  test("every query panel queries the dashboard's data source variable, with unique refIds", () => {
    const variables = dashboard.templating.list;
    const source = variables.find((v) => v.type === "datasource");
    expect(source?.name).toBeString();
    for (const panel of queryPanels(dashboard)) {
      const targets = panel.targets ?? [];
      expect(targets.length, panel.title).toBeGreaterThan(0);
      expect(new Set(targets.map((t) => t.refId)).size, panel.title).toBe(targets.length);
      for (const target of [panel, ...targets])
        expect(target.datasource?.uid, panel.title).toBe(`\${${source?.name}}`);
    }
  });

  test("every query and variable reads only series that exist", async () => {
    const known = new Set([...(await platformMetricNames()), ...EXTERNAL_METRIC_NAMES]);
    const expressions = [
      ...queryPanels(dashboard).flatMap((p) =>
        (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr })),
      ),
      ...dashboard.templating.list
        .filter((v) => v.type === "query")
        .map((v) => ({ where: `variable ${v.name}`, expr: variableSelector(v) })),
    ];
    for (const { where, expr } of expressions) {
      const names = seriesNames(expr);
      expect(names.length, where).toBeGreaterThan(0);
      for (const name of names) expect(known, `${where}: ${name}`).toContain(name);
    }
  });

  test("every variable a query uses is defined", () => {
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    for (const panel of queryPanels(dashboard)) {
      for (const { expr } of panel.targets ?? []) {
        for (const [, name] of expr.matchAll(/\$\{?(\w+)\}?/g)) {
          if (name === undefined || name.startsWith("__")) continue;
          expect(defined, `${panel.title}: $${name}`).toContain(name);
        }
      }
    }
  });
});

test("the inference dashboard shows throughput, latency per stage, batch sizes, backlog and errors", () => {
  const inference = dashboards.find(({ file }) => file === "inference.json")?.dashboard;
  expect(inference).toBeDefined();
  const exprs = queryPanels(inference as Dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const reads = (series: string, grouping = "") =>
    exprs.some((expr) => seriesNames(expr).includes(series) && expr.includes(grouping));
  expect(reads("inference_jobs_total")).toBe(true);
  expect(reads("inference_stage_seconds_bucket", "by (stage, le)")).toBe(true);
  expect(reads("inference_batch_size_bucket")).toBe(true);
  expect(reads("edge_jobs")).toBe(true);
  expect(reads("edge_jobs_oldest_queued_age_seconds")).toBe(true);
  expect(reads("inference_errors_total", "by (code)")).toBe(true);
});
