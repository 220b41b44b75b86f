/**
 * Loading the project's WebAssembly SIMD kernel modules (generated base64 constants, see
 * scripts/generate-aggregation-kernels.ts): the aggregation kernels here, the SGD step's in
 * model/sgd-step.ts.
 */

// The project's lib settings (ES2024, no DOM) carry no WebAssembly types: declare the little used.
/** A module instance's linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow (pages: number): number
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object
  readonly Instance: new (module: object, imports: object) => { readonly exports: object }
}
const { WebAssembly: wasm } = globalThis as unknown as { readonly WebAssembly: WasmApi }

/**
 * Compile the module in `base64` once; each call of the returned function makes a new instance
 * (with its own linear memory, no imports) and returns its exports, which the caller types.
 */
export function compileWasm (base64: string): () => object {
  const compiled = new wasm.Module(Buffer.from(base64, 'base64'))
  return () => new wasm.Instance(compiled, {}).exports
}
