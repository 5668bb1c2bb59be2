// `npm run build`: installs what is missing (tools/lib.mjs ensureDeps), then builds the native tree
// (build/: the core, the `bookrec` CLI, the C tests) and the WebAssembly tree (build-wasm/: the core
// with and without SIMD as ES modules). It trains and exports nothing; `npm start` does that.
import { ensureDeps, buildNative, buildWasm, log, CLI, BUILD_WASM } from './lib.mjs';

try {
  ensureDeps(['base']);
  log('building native (build/)');
  buildNative();
  log('building WebAssembly (build-wasm/)');
  buildWasm();
  log(`done: CLI ${CLI}, wasm in ${BUILD_WASM}/web/wasm`);
} catch (e) {
  log(`build failed: ${e.message}`);
  process.exit(1);
}
