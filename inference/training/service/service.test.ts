import { expect, test } from "bun:test";
import { existsSync } from "node:fs";

const python = process.env.PYTHON ?? "/usr/bin/python3";

// The trainer service's pure parts (settings, wire format, dataset layout, reports) in Python's unittest.
test.skipIf(!existsSync(python))(
  "trainer service unit tests",
  () => {
    const run = Bun.spawnSync(
      [
        "nice",
        "-n",
        "19",
        python,
        "-m",
        "unittest",
        "discover",
        "-s",
        "inference/training/service",
        "-p",
        "test_*.py",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const output = `${run.stdout.toString()}${run.stderr.toString()}`;
    if (run.exitCode !== 0) throw new Error(output);
    expect(output).toContain("OK");
  },
  60_000,
);
