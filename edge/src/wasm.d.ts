// Wrangler bundles `.wasm` imports as precompiled modules (Workers forbid compiling Wasm at run time).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

// Wrangler bundles `.ttf` imports as data modules (wrangler.toml `[[rules]]`): the file's bytes.
declare module "*.ttf" {
  const data: ArrayBuffer;
  export default data;
}
