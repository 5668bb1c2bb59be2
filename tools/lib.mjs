// Shared helpers for bookrec's npm scripts: checking and installing what the build needs, building the
// native and WebAssembly targets, and finding the goodbooks-10k data. Not a build system of its own:
// CMake builds everything; this only calls it with the right arguments and environment.
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD = path.join(ROOT, 'build');
export const BUILD_WASM = path.join(ROOT, 'build-wasm');
export const CLI = path.join(BUILD, 'bookrec');

// Emscripten 3.1.6 on Debian needs acorn etc. from Debian's node modules for -O2+ builds.
export const EMSDK_ENV = {
  ...process.env,
  NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(path.delimiter),
};

export function log(msg) {
  process.stderr.write(`[bookrec] ${msg}\n`);
}

// Runs a command, streaming its output; throws an Error naming the command when it fails.
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return r;
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function dpkgInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

// The Debian packages each capability needs. `extra` adds optional groups (e.g. 'browser', 'torch', 'fuzz').
const APT = {
  base: [['cmake', 'cmake'], ['gcc', 'gcc'], ['make', 'make'], [null, 'libcjson-dev'], ['emcc', 'emscripten'],
    [null, 'libopenblas-dev']], // LAPACK's Cholesky for EASE (the core has a slower built-in fallback)
  browser: [['chromium', 'chromium']],
  torch: [[null, 'python3-torch']],
  fuzz: [['clang-14', 'clang-14'], [null, 'libclang-rt-14-dev']],
};

// Makes sure the tools are there: installs missing Debian packages with apt-get when root on Debian,
// else throws with the exact command to run. Also runs `npm install` when node_modules is missing.
export function ensureDeps(groups = ['base']) {
  const missing = [];
  for (const g of groups) {
    for (const [cmd, pkg] of APT[g] || []) {
      const ok = cmd ? have(cmd) : dpkgInstalled(pkg);
      if (!ok && !missing.includes(pkg)) missing.push(pkg);
    }
  }
  if (missing.length) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (isRoot && existsSync('/etc/debian_version') && have('apt-get')) {
      log(`installing ${missing.join(' ')} with apt-get`);
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } else {
      throw new Error(`missing packages: ${missing.join(' ')}\n  install them with: sudo apt-get install ${missing.join(' ')}`);
    }
  }
  if (!existsSync(path.join(ROOT, 'node_modules'))) {
    log('installing node modules (npm install)');
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts']); // no dependency needs its install script (re2, optional, would try a download)
  }
}

// Configures (once) and builds the native tree in build/. extraDefs: more -D options; dir: another build dir.
export function buildNative({ dir = BUILD, defs = [], env = process.env } = {}) {
  if (!existsSync(path.join(dir, 'CMakeCache.txt'))) {
    mkdirSync(dir, { recursive: true });
    run('cmake', ['-S', ROOT, '-B', dir, '-DCMAKE_BUILD_TYPE=Release', ...defs], { env });
  }
  run('cmake', ['--build', dir, '-j', String(Math.max(2, navigatorCores()))], { env });
}

// Configures (once) and builds the WebAssembly tree in build-wasm/ with Emscripten.
export function buildWasm() {
  if (!existsSync(path.join(BUILD_WASM, 'CMakeCache.txt'))) {
    mkdirSync(BUILD_WASM, { recursive: true });
    run('emcmake', ['cmake', '-S', ROOT, '-B', BUILD_WASM, '-DCMAKE_BUILD_TYPE=Release',
      '-DCMAKE_CROSSCOMPILING_EMULATOR=node'], { env: EMSDK_ENV });
  }
  run('cmake', ['--build', BUILD_WASM, '-j', String(Math.max(2, navigatorCores()))], { env: EMSDK_ENV });
}

function navigatorCores() {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || 2;
  } catch {
    return 2;
  }
}

// Finds the goodbooks-10k directory: explicit dir, $BOOKREC_DATA, ../shared/data/goodbooks-10k, data/.
// Returns the path or null.
export function findData(explicit) {
  const candidates = [
    explicit,
    process.env.BOOKREC_DATA,
    path.resolve(ROOT, '..', 'shared', 'data', 'goodbooks-10k'),
    path.join(ROOT, 'data'),
  ].filter(Boolean);
  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'ratings.csv')) && existsSync(path.join(dir, 'books.csv'))) return dir;
  }
  return null;
}

export function readJSON(p) {
  return JSON.parse(readFileSync(p, 'utf8'));
}
