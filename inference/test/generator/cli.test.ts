import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const cli = join(import.meta.dir, "../../generator/cli.ts");

async function run(...args: string[]) {
  const child = Bun.spawn([process.execPath, cli, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

describe("the generator's command line", () => {
  test("--help and -h print the usage and exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const { stdout, stderr, code } = await run(flag);
      expect(code).toBe(0);
      expect(stdout).toStartWith("Usage: bun inference/generator/cli.ts --out <dir>");
      expect(stdout).toContain("--pixel-size-mm");
      expect(stderr).toBe("");
    }
  });

  test("a mistake is one line and the usage on stderr, exit 2, never a stack trace", async () => {
    for (const [args, message] of [
      [["--bogus"], "Unknown option '--bogus'"],
      [[], "--out <dir> is required"],
      [["--out", "/nonexistent-never-written", "--bit-depth", "12"], "--bit-depth must be 8 or 16"],
      [["--out", "/nonexistent-never-written", "--train", "many"], "--train must be a non-negative integer"],
    ] as const) {
      const { stdout, stderr, code } = await run(...args);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toContain(message);
      expect(stderr).toContain("Usage:");
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });
});
