// `npm test`: installs what is missing, builds the native and WebAssembly targets, then runs every suite:
// CTest (C unit, CLI and integration tests), `node --test` on the wasm module, and the browser
// end-to-end tests in headless Chromium. Each phase prints its own runner's summary; the process exits
// non-zero if any phase failed. BOOKREC_TEST_ONLY=ctest,js,... limits the phases (for development).
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, BUILD, ensureDeps, buildNative, buildWasm, run, log } from './lib.mjs';

const only = (process.env.BOOKREC_TEST_ONLY || '').split(',').filter(Boolean);
const want = (p) => only.length === 0 || only.includes(p);

function nodeTests(dir) {
  const d = path.join(ROOT, 'tests', dir);
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => path.join(d, f));
}

const phases = [
  ['ctest', () => run('ctest', ['--test-dir', BUILD, '--output-on-failure', '-j', '2'])],
  ['js', () => {
    const files = nodeTests('js');
    if (files.length) run('node', ['--test', '--test-concurrency=1', ...files]);
  }],
  ['browser', () => {
    const files = nodeTests('browser');
    if (files.length) run('node', ['--test', '--test-concurrency=1', ...files]);
  }],
];

ensureDeps(want('browser') ? ['base', 'browser'] : ['base']);
buildNative();
if (want('js') || want('browser')) buildWasm();
if (want('browser')) run('node', [path.join(ROOT, 'tools', 'build-site.mjs')]);

const failed = [];
for (const [name, fn] of phases) {
  if (!want(name)) continue;
  log(`--- ${name}`);
  try {
    fn();
  } catch (e) {
    log(`${name} FAILED: ${e.message}`);
    failed.push(name);
  }
}
if (failed.length) {
  log(`failed phases: ${failed.join(', ')}`);
  process.exit(1);
}
log('all test phases passed');
