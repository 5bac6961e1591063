// The part of the WebAssembly JavaScript API that ./engine.ts and ./pool.ts use. TypeScript
// declares it in lib.dom, which this project does not load (it targets Node); @types/emscripten
// (through tfjs's wasm backend) declares only an empty `WebAssembly.Module`, which this extends.
declare namespace WebAssembly {
  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  interface Memory { readonly buffer: ArrayBuffer | SharedArrayBuffer; grow(deltaPages: number): number }
  var Memory: { prototype: Memory; new (descriptor: MemoryDescriptor): Memory };
  interface Module {}
  var Module: { prototype: Module; new (bytes: ArrayBufferView | ArrayBuffer): Module };
  type Exports = Record<string, unknown>;
  interface Instance { readonly exports: Exports }
  var Instance: { prototype: Instance; new (module: Module, imports?: Record<string, Record<string, unknown>>): Instance };
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
}
