import { describe, expect, test } from "bun:test";
import { seriesNames } from "./promql-names";

describe("seriesNames", () => {
  test("finds the series of an expression, not its functions, labels, groupings or ranges", () => {
    const expression = `histogram_quantile(0.99, sum by (namespace, stage, le) (rate(inference_stage_seconds_bucket{stage=~"run|decode"}[$__rate_interval])))
      > on (stage) group_left () inference:stage_seconds:p99_threshold and up{job="edge"} offset 5m`;
    expect(seriesNames(expression).sort()).toEqual([
      "inference:stage_seconds:p99_threshold",
      "inference_stage_seconds_bucket",
      "up",
    ]);
  });

  test("a label value or string that looks like a name is not a series", () => {
    expect(
      seriesNames(`sum(edge_jobs{status="queued"}) or label_replace(vector(1), "x", "not_a_series", "", "")`),
    ).toEqual(["edge_jobs"]);
  });
});
