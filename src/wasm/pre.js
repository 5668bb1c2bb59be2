// pre.js - prepended (--extern-pre-js) to the Emscripten 3.1.6 ES6 glue of the bookrec wasm module.
// The glue's node branch uses the CommonJS globals `__dirname` and `require`, which an ES module does
// not have; this shim defines them at module scope so the same .mjs file loads in node 20 and in
// browsers. `require` returns node's built-in modules (only 'fs' and 'path' are asked for). It is not
// a loader: web/bookrec.js passes `wasmBinary` under node, so the glue never tries `fetch` on a file
// URL. No top-level await here, so browsers without it still parse the no-SIMD build.
var __bookrecIsNode =
  typeof process === 'object' && typeof process.versions === 'object' && typeof process.versions.node === 'string';
var __dirname = __bookrecIsNode ? decodeURIComponent(new URL('.', import.meta.url).pathname).replace(/\/$/, '') : '';
var require = __bookrecIsNode
  ? function (name) {
      if (typeof process.getBuiltinModule === 'function') return process.getBuiltinModule(name);
      throw new Error('bookrec wasm glue: node ' + process.version + ' cannot load "' + name +
        '" from an ES module; pass wasmBinary to the module factory');
    }
  : undefined;
