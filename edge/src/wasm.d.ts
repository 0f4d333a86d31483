// Wrangler bundles `.wasm` imports as precompiled modules (Workers forbid compiling Wasm at run time).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
