// Shared set-up of the wasm module tests (wasm.test.mjs, wasm-fuzz.test.mjs): where the builds are, a
// small model trained and exported once per test file with the native CLI on the fixture dataset, and
// loading web/bookrec.js as two independent instances (SIMD and no-SIMD builds). Not a test file itself.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WASM_DIR = process.env.BOOKREC_WASM_DIR || path.join(ROOT, 'build-wasm', 'web', 'wasm');
export const CLI = process.env.BOOKREC_CLI || path.join(ROOT, 'build', 'bookrec');
export const VARIANTS = ['simd', 'nosimd'];

// Why the wasm tests must skip (the wasm build is missing), or false.
export function wasmMissing() {
  for (const v of VARIANTS) {
    for (const ext of ['mjs', 'wasm']) {
      const f = path.join(WASM_DIR, `bookrec-${v}.${ext}`);
      if (!existsSync(f)) return `wasm build missing (${path.relative(ROOT, f)}); build it with npm test`;
    }
  }
  return false;
}

// Runs the CLI; returns stdout; throws with stderr when it fails.
export function cli(args, opts = {}) {
  const r = spawnSync(CLI, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error) throw new Error(`${CLI}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`bookrec ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

// The fixture dataset directory (tests/fixtures/<dir> holding ratings.csv and books.csv), generated with
// tools/gen-fixture.mjs when it is not there yet ($BOOKREC_FIXTURE names another).
export function fixtureDir() {
  if (process.env.BOOKREC_FIXTURE) return path.resolve(process.env.BOOKREC_FIXTURE);
  const base = path.join(ROOT, 'tests', 'fixtures');
  const find = () => {
    if (!existsSync(base)) return null;
    const dirs = readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    // prefer a goodbooks-like fixture (book_id,user_id,rating columns) with a genre file
    for (const d of dirs) {
      const p = path.join(base, d);
      if (existsSync(path.join(p, 'ratings.csv')) && existsSync(path.join(p, 'books.csv'))) {
        const head = readFileSync(path.join(p, 'ratings.csv'), 'utf8').slice(0, 200).split(/\r?\n/)[0];
        if (/\bbook_id\b/.test(head) && /\buser_id\b/.test(head)) return p;
      }
    }
    return null;
  };
  let dir = find();
  const gen = path.join(ROOT, 'tools', 'gen-fixture.mjs');
  if (!dir && existsSync(gen)) {
    const r = spawnSync(process.execPath, [gen], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tools/gen-fixture.mjs failed:\n${r.stderr}`);
    dir = find();
  }
  if (!dir) throw new Error('no fixture dataset in tests/fixtures/ (tools/gen-fixture.mjs makes it)');
  return dir;
}

// Parses a simple CSV (no quoted commas needed for ids) into rows of objects keyed by the header.
export function readCsv(file) {
  const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length);
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(head.map((h, i) => [h, cells[i]]));
  });
}

// Trains the tutorial's (seed) model on the fixture and exports it twice: with F32 embeddings, so that the CLI
// (predicting from the trained model file) and the module (loading the exported parts) use the very same
// numbers, and with the default storage (Q8), the files the site ships. Returns paths and the ratings.
export function trainFixtureModel() {
  const data = fixtureDir();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bookrec-wasm-'));
  const model = path.join(tmp, 'model.bkr');
  // 30 epochs: on this small fixture the tutorial's network needs them to learn the readers' tastes (after 3
  // it ranks by book alone, and a fold-in test would measure nothing); 2 threads make it bit-reproducible.
  cli(['train', '--data', data, '--arch', 'seed', '--epochs', '30', '--threads', '2', '--out', model]);
  const exported = (dir, extra) => {
    cli(['export', '--data', data, '--model', model, '--out', dir, '--no-eval', ...extra]);
    const items = path.join(dir, 'model-items.bkr');
    const users = path.join(dir, 'model-users.bkr');
    for (const f of [items, users]) if (!existsSync(f)) throw new Error(`bookrec export did not write ${f}`);
    return { items, users, itemsBytes: readFileSync(items), usersBytes: readFileSync(users) };
  };
  const f32 = exported(path.join(tmp, 'export-f32'), ['--quantize', 'f32']);
  const shipped = exported(path.join(tmp, 'export'), []);
  return {
    tmp,
    data,
    model,
    ...f32,
    shipped,
    ratings: readCsv(path.join(data, 'ratings.csv')),
    cleanup: () => rmSync(tmp, { recursive: true, force: true }),
  };
}

// Imports an independent instance of web/bookrec.js for one build variant, configured before first use.
export async function loadVariant(variant) {
  const url = pathToFileURL(path.join(ROOT, 'web', 'bookrec.js'));
  url.search = `?variant=${variant}`;
  const mod = await import(url.href);
  mod.configure({ wasmUrlBase: WASM_DIR, forceNoSimd: variant === 'nosimd' });
  await mod.ready;
  return mod;
}

// Deterministic PRNG (mulberry32) for the tests' choices.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Asks the CLI to predict pairs [[user, book], ...] with the model in `modelArgs`; returns their predictions.
export function cliPredict(modelArgs, pairs, tmp) {
  const file = path.join(tmp, `pairs-${process.pid}.csv`);
  writeFileSync(file, `user_id,book_id\n${pairs.map(([u, b]) => `${u},${b}`).join('\n')}\n`);
  const text = cli(['predict', ...modelArgs, '--pairs', file]);
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length);
  const head = lines[0].split(',').map((s) => s.trim());
  const col = head.findIndex((h) => /pred|score|rating/i.test(h));
  const rows = /^\d|^-?\d/.test(lines[0]) ? lines : lines.slice(1);
  const predCol = col >= 0 ? col : rows[0].split(',').length - 1;
  return rows.map((l) => Number(l.split(',')[predCol]));
}
