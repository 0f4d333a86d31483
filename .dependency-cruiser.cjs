/**
 * The import graph's rules, checked by `npm run check` (and so by CI): no cycles, product code
 * never reaches into the scripts (local stack, test harness, benchmarks), and the edge, the
 * inference service and the trainer stay apart except through `common/`.
 */
const product = "^(edge/src|workers/src|inference/src|common|db|web/src)/";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle makes load order matter and the layers meaningless.",
      from: {},
      to: { circular: true },
    },
    {
      name: "product-not-from-scripts",
      severity: "error",
      comment: "Scripts are the local stack, tests and benchmarks: the product never ships them.",
      from: { path: product, pathNot: "\\.test\\.ts$" },
      to: { path: "^scripts/" },
    },
    {
      name: "training-not-from-scripts",
      severity: "error",
      comment: "The trainer and its evaluation run without the local stack or the test harness.",
      from: { path: "^inference/training/" },
      to: { path: "^scripts/" },
    },
    {
      name: "scripts-not-from-training",
      severity: "error",
      comment: "Tests and benchmarks reach the film generator by @generator, never the trainer's code.",
      from: { path: "^scripts/" },
      to: { path: "^inference/training/" },
    },
    {
      name: "inference-not-from-edge",
      severity: "error",
      comment: "Inference is the other side of the queue: it shares only common/ with the edge.",
      from: { path: "^inference/src/" },
      to: { path: "^(edge|workers|db)/" },
    },
    {
      name: "edge-not-from-workers",
      severity: "error",
      comment: "The Worker entry wires the edge, not the other way round.",
      from: { path: "^edge/src/" },
      to: { path: "^workers/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|edge/public)/" },
    // TypeScript 7's package has no compiler API for the cruiser to parse with; Babel's TypeScript
    // preset reads .ts and .tsx alike, keeping type-only imports visible to the rules.
    babelConfig: { fileName: ".babelrc.dependency-cruiser.json" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js", ".json"] },
  },
};
