import { cp, mkdir } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

/** One instruction of a Dockerfile stage, continuation lines joined, ARGs substituted. */
export type Instruction = { keyword: string; args: string };
export type Stage = { name: string | null; base: string; instructions: Instruction[] };

/** Reads a Dockerfile into its stages (what this project's Dockerfiles use: no heredocs). */
export function parseDockerfile(text: string): Stage[] {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  const lines = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  for (const line of lines) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const upper = keyword.toUpperCase();
    const value = rest.join(" ").replace(/\$\{(\w+)\}/g, (_, name: string) => args.get(name) ?? "");
    if (upper === "ARG") {
      // `ARG NAME` inside a stage takes the global default; a quoted default loses its quotes.
      const [name = "", ...fallback] = value.split("=");
      if (fallback.length > 0) args.set(name, fallback.join("=").replace(/^"(.*)"$/, "$1"));
      else if (!args.has(name)) args.set(name, "");
    } else if (upper === "FROM") {
      const [base = "", , name] = value.split(/\s+/);
      stages.push({ name: name ?? null, base, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${upper} before FROM`);
      stage.instructions.push({ keyword: upper, args: value });
    }
  }
  return stages;
}

/**
 * What a `*`-then-`!include` ignore file lets into the build context, with Docker's rules: the
 * last pattern matching a path or one of its parent folders decides, so exclusions after the
 * includes (`__pycache__` folders, test files) keep those out of an included folder.
 */
export function contextIncludes(ignoreFile: string): (path: string) => boolean {
  const rules = ignoreFile
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const pattern = line.replace(/^!/, "");
      // `dir/**` also names `dir` itself, so COPY of the folder is let in.
      const globs = [pattern, ...(pattern.endsWith("/**") ? [pattern.slice(0, -3)] : [])];
      return { include: line.startsWith("!"), globs: globs.map((glob) => new Bun.Glob(glob)) };
    });
  return (path) => {
    const parts = path.replace(/\/+$/, "").split("/");
    const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join("/"));
    let included = true;
    for (const rule of rules) {
      if (prefixes.some((prefix) => rule.globs.some((glob) => glob.match(prefix)))) included = rule.include;
    }
    return included;
  };
}

/** `ENV A=1 B=2` → entries. */
export function parseEnv(args: string): Array<[string, string]> {
  return args.split(/\s+/).map((pair) => {
    const [name = "", ...value] = pair.split("=");
    return [name, value.join("=")];
  });
}

export type AssembleOptions = {
  stages: Stage[];
  /** The build context (repository root) and what its ignore file lets in. */
  context: string;
  inContext: (path: string) => boolean;
  /** Each stage's `/app` is `<root>/<stage index>`. */
  root: string;
  /** Runs a stage's RUN line in its folder with the stage's ENV. */
  run: (command: string, cwd: string, env: Record<string, string>) => Promise<void>;
};

/**
 * Assembles every stage's file set as the image build would: COPY from the context (refusing
 * anything the ignore file keeps out) or from an earlier stage, and RUN in the stage's folder.
 * Returns the final stage's folder, its ENV and its CMD.
 */
export async function assembleStages(
  options: AssembleOptions,
): Promise<{ dir: string; env: Record<string, string>; cmd: string[] }> {
  const dirs = new Map<string, string>();
  let last = { dir: "", env: {} as Record<string, string>, cmd: [] as string[] };
  for (const [index, stage] of options.stages.entries()) {
    const dir = join(options.root, String(index));
    await mkdir(dir, { recursive: true });
    const env: Record<string, string> = {};
    let cmd: string[] = [];
    for (const { keyword, args } of stage.instructions) {
      if (keyword === "WORKDIR") {
        if (args !== "/app") throw new Error(`only WORKDIR /app is supported, got ${args}`);
      } else if (keyword === "ENV") {
        for (const [name, value] of parseEnv(args)) env[name] = value;
      } else if (keyword === "COPY") {
        const words = args.split(/\s+/);
        const from = words[0]?.startsWith("--from=") ? words.shift()?.slice("--from=".length) : undefined;
        const dest = words.pop() ?? ".";
        for (const source of words) {
          let origin: string;
          if (from !== undefined) {
            const stageDir = dirs.get(from);
            if (!stageDir) throw new Error(`COPY --from=${from}: no such earlier stage`);
            origin = join(stageDir, source.replace(/^\/app\/?/, ""));
          } else {
            if (!options.inContext(source)) {
              throw new Error(`COPY ${source}: not in the build context (see the Dockerfile's ignore file)`);
            }
            origin = join(options.context, source);
          }
          const target = dest.endsWith("/")
            ? join(dir, dest, source.split("/").at(-1) ?? "")
            : join(dir, dest);
          await mkdir(dirname(target), { recursive: true });
          // Inside a copied folder, what the ignore file keeps out stays out too.
          const filter =
            from === undefined
              ? (path: string) => options.inContext(relative(options.context, path))
              : undefined;
          await cp(origin, target, { recursive: true, verbatimSymlinks: true, filter });
        }
      } else if (keyword === "RUN") {
        await options.run(args, dir, env);
      } else if (keyword === "CMD") {
        cmd = JSON.parse(args) as string[];
      }
      // USER, EXPOSE, STOPSIGNAL, HEALTHCHECK describe how the container runs, not its files.
    }
    if (stage.name) dirs.set(stage.name, dir);
    last = { dir, env, cmd };
  }
  return last;
}
