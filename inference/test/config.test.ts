import { describe, expect, test } from "bun:test";
import { availableParallelism } from "node:os";
import { loadConfig, pullConsumerEnabled, redactConfig } from "../src/config";
import { childSpan, formatTraceparent, parseTraceparent } from "../src/core/traceparent";
import { defaultDecodeConcurrency, defaultIntraOpThreads } from "../src/cpu-budget";

describe("configuration", () => {
  test("defaults apply and only INFERENCE_-prefixed variables are read", () => {
    const config = loadConfig({ PORT: "1", INFERENCE_MAX_BATCH: "4" });
    expect(config.PORT).toBe(8788);
    expect(config.MAX_BATCH).toBe(4);
    expect(config.CF_API_BASE).toBe("https://api.cloudflare.com/client/v4");
    expect(config.MODELS_DIR).toEndWith("inference/models");
    expect(pullConsumerEnabled(config)).toBe(false);
  });

  test("thread counts size themselves to the machine unless set; flags parse as words", () => {
    const cores = availableParallelism();
    const auto = loadConfig({});
    expect(auto.INTRA_OP_THREADS).toBe(defaultIntraOpThreads(cores));
    expect(auto.DECODE_CONCURRENCY).toBe(defaultDecodeConcurrency(auto.INTRA_OP_THREADS, cores));
    expect([auto.INTRA_OP_SPINNING, auto.DECODE_THREADS]).toEqual([false, 1]);
    const set = loadConfig({
      INFERENCE_INTRA_OP_THREADS: "3",
      INFERENCE_DECODE_CONCURRENCY: "5",
      INFERENCE_INTRA_OP_SPINNING: "true",
    });
    expect([set.INTRA_OP_THREADS, set.DECODE_CONCURRENCY, set.INTRA_OP_SPINNING]).toEqual([3, 5, true]);
    expect(loadConfig({ INFERENCE_INTRA_OP_SPINNING: "0" }).INTRA_OP_SPINNING).toBe(false);
    expect(() => loadConfig({ INFERENCE_INTRA_OP_SPINNING: "yes" })).toThrow(/INFERENCE_INTRA_OP_SPINNING/);
  });

  test("the CPU split: onnxruntime gets every core but one, decoding what is left", () => {
    expect([defaultIntraOpThreads(1), defaultIntraOpThreads(2), defaultIntraOpThreads(16)]).toEqual([
      1, 1, 15,
    ]);
    expect(defaultDecodeConcurrency(1, 2)).toBe(1);
    expect(defaultDecodeConcurrency(4, 16)).toBe(12);
    expect(defaultDecodeConcurrency(8, 4)).toBe(1);
  });

  test("invalid values are all reported with their full names", () => {
    expect(() => loadConfig({ INFERENCE_PORT: "70000", INFERENCE_MAX_BATCH: "0" })).toThrow(
      /INFERENCE_PORT[\s\S]*INFERENCE_MAX_BATCH/,
    );
  });

  test("the pull consumer needs all its settings and an edge to report to", () => {
    expect(() => loadConfig({ INFERENCE_CF_ACCOUNT_ID: "a" })).toThrow(/CF_QUEUE_ID and CF_API_TOKEN/);
    const pull = { INFERENCE_CF_ACCOUNT_ID: "a", INFERENCE_CF_QUEUE_ID: "q", INFERENCE_CF_API_TOKEN: "t" };
    expect(() => loadConfig(pull)).toThrow(/EDGE_URL and CALLBACK_TOKEN/);
    const config = loadConfig({
      ...pull,
      INFERENCE_EDGE_URL: "http://edge.test",
      INFERENCE_CALLBACK_TOKEN: "e",
    });
    expect(pullConsumerEnabled(config)).toBe(true);
  });

  test("secrets are masked in the printed configuration", () => {
    const printed = redactConfig(
      loadConfig({
        INFERENCE_API_TOKEN: "s3cret",
        INFERENCE_CALLBACK_TOKEN: "e",
        INFERENCE_EDGE_URL: "http://x",
      }),
    );
    expect(printed.INFERENCE_API_TOKEN).toBe("***");
    expect(printed.INFERENCE_CALLBACK_TOKEN).toBe("***");
    expect(printed.INFERENCE_CF_API_TOKEN).toBeUndefined();
    expect(printed.INFERENCE_EDGE_URL).toBe("http://x");
    expect(JSON.stringify(printed)).not.toContain("s3cret");
  });
});

describe("traceparent", () => {
  const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  test("a child span keeps trace id and flags with a new span id", () => {
    const child = childSpan(parent);
    expect(child.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(child.flags).toBe("01");
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe("00f067aa0ba902b7");
    expect(parseTraceparent(formatTraceparent(child))).toEqual(child);
  });

  test("invalid parents start a new trace", () => {
    for (const bad of [
      "",
      "garbage",
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      parent.replace(/^00/, "ff"),
    ]) {
      expect(parseTraceparent(bad)).toBeNull();
      expect(childSpan(bad).traceId).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});
