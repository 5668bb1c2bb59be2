// `npm run fuzz -- [--seconds N] [--jobs J] [--seeds-only] [ratings|items|model|goodreads ...]`
// Builds the libFuzzer targets with clang-14 (ASan + UBSan, -DBOOKREC_FUZZ=ON) into build-fuzz/,
// regenerates the seed corpora (tests/fuzz/gen_csv_seeds.mjs and gen_model_seeds), then runs each target
// for N seconds (default 60), J at a time (default 2), with a max_len suited to its input. New inputs go
// to build-fuzz/corpus/<target>/ (the committed seeds in tests/fuzz/corpus/<target>/ are read only).
// Prints executions (libFuzzer's stat::number_of_executed_units) and crashes per target, writes
// build-fuzz/fuzz-summary.json, and exits non-zero when a target crashed; the crashing input is kept in
// build-fuzz/crashes/ (add it to tests/fuzz/corpus/<target>/ as crash-<what> once fixed: it is then
// replayed by the test_fuzz_corpus CTest forever).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, ensureDeps, run, log } from './lib.mjs';

const BUILD_FUZZ = path.join(ROOT, 'build-fuzz');
const CORPUS = path.join(ROOT, 'tests', 'fuzz', 'corpus');
const ALL = ['ratings', 'items', 'model', 'goodreads'];
const MAX_LEN = { ratings: 4096, items: 4096, model: 0, goodreads: 4096 }; // model: from the seeds (see below)

function parseArgs(argv) {
  const o = { seconds: 60, jobs: 2, seedsOnly: false, targets: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') o.seconds = Number(argv[++i]);
    else if (a === '--jobs') o.jobs = Number(argv[++i]);
    else if (a === '--seeds-only') o.seedsOnly = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: npm run fuzz -- [--seconds N (60)] [--jobs J (2)] [--seeds-only] [ratings|items|model|goodreads ...]');
      process.exit(0);
    } else {
      const t = a.replace(/^fuzz_/, '');
      if (!ALL.includes(t)) throw new Error(`unknown fuzz target "${a}" (known: ${ALL.join(', ')})`);
      o.targets.push(t);
    }
  }
  if (!(o.seconds > 0)) throw new Error('--seconds needs a positive number');
  if (!(o.jobs >= 1)) throw new Error('--jobs needs a positive number');
  if (!o.targets.length) o.targets = ALL;
  return o;
}

export function buildFuzz() {
  ensureDeps(['fuzz']);
  const env = { ...process.env, CC: 'clang-14' };
  if (!existsSync(path.join(BUILD_FUZZ, 'CMakeCache.txt'))) {
    mkdirSync(BUILD_FUZZ, { recursive: true });
    // in CI, warnings are errors here too (clang's set, beside gcc's in the asan and werror builds)
    const werror = process.env.CI ? ['-DBOOKREC_WERROR=ON'] : [];
    run('cmake', ['-S', ROOT, '-B', BUILD_FUZZ, '-DCMAKE_BUILD_TYPE=Release', '-DBOOKREC_FUZZ=ON', ...werror], { env });
  }
  run('cmake', ['--build', BUILD_FUZZ, '-j', '2', '--target',
    ...ALL.map((t) => `fuzz_${t}`), 'gen_model_seeds'], { env });
}

export function makeSeeds() {
  run('node', [path.join(ROOT, 'tests', 'fuzz', 'gen_csv_seeds.mjs')]);
  mkdirSync(path.join(CORPUS, 'model'), { recursive: true });
  run(path.join(BUILD_FUZZ, 'tests', 'gen_model_seeds'), [path.join(CORPUS, 'model')]);
}

function largest(dir) {
  let m = 0;
  for (const f of readdirSync(dir)) m = Math.max(m, statSync(path.join(dir, f)).size);
  return m;
}

// Runs one target for `seconds`; resolves to { target, execs, crashed, artifact, seconds, corpus }.
function fuzzOne(target, seconds) {
  const work = path.join(BUILD_FUZZ, 'corpus', target);
  const crashes = path.join(BUILD_FUZZ, 'crashes');
  mkdirSync(work, { recursive: true });
  mkdirSync(crashes, { recursive: true });
  const seeds = path.join(CORPUS, target);
  const maxLen = MAX_LEN[target] || Math.max(4096, 2 * largest(seeds));
  const args = [`-max_total_time=${seconds}`, `-max_len=${maxLen}`, '-timeout=20', '-rss_limit_mb=2048',
    '-print_final_stats=1', `-artifact_prefix=${crashes}/${target}-`, work, seeds];
  const bin = path.join(BUILD_FUZZ, 'tests', `fuzz_${target}`);
  log(`fuzz_${target}: ${seconds} s, max_len ${maxLen}`);
  return new Promise((resolve) => {
    const child = spawn(bin, args, {
      cwd: BUILD_FUZZ,
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const t0 = Date.now();
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; if (out.length > 4e6) out = out.slice(-2e6); });
    child.on('close', (code, signal) => {
      const execs = Number((out.match(/stat::number_of_executed_units:\s*(\d+)/) || [])[1] || 0);
      const artifact = (out.match(/Test unit written to (\S+)/) || [])[1] || null;
      const crashed = code !== 0 || !!artifact;
      if (crashed) {
        const lines = out.split('\n');
        const i = lines.findIndex((l) => /==ERROR|runtime error|deadly signal|Sanitizer|ERROR: libFuzzer/.test(l));
        process.stderr.write(lines.slice(Math.max(0, i - 2), i + 40).join('\n') + '\n');
      }
      resolve({ target, execs, crashed, exit: code ?? signal, artifact, seconds: (Date.now() - t0) / 1000,
        corpus: readdirSync(work).length + readdirSync(seeds).length });
    });
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  buildFuzz();
  makeSeeds();
  if (o.seedsOnly) return;
  const results = [];
  const queue = [...o.targets];
  await Promise.all(Array.from({ length: Math.min(o.jobs, queue.length) }, async () => {
    while (queue.length) results.push(await fuzzOne(queue.shift(), o.seconds));
  }));
  results.sort((a, b) => ALL.indexOf(a.target) - ALL.indexOf(b.target));
  console.log('\n| target | seconds | executions | exec/s | corpus files | crashes |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| fuzz_${r.target} | ${r.seconds.toFixed(0)} | ${r.execs} | ${(r.execs / r.seconds).toFixed(0)} | ${r.corpus} | ${r.crashed ? 1 : 0} |`);
  }
  writeFileSync(path.join(BUILD_FUZZ, 'fuzz-summary.json'), JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
  const bad = results.filter((r) => r.crashed);
  for (const r of bad) {
    let where = r.artifact;
    if (where && existsSync(where)) {
      const keep = path.join(BUILD_FUZZ, 'crashes', `${r.target}-latest`);
      copyFileSync(where, keep);
      where = `${where} (also ${keep})`;
    }
    log(`fuzz_${r.target} CRASHED (exit ${r.exit}); input: ${where || 'not written'}`);
  }
  if (bad.length) process.exit(1);
  log('no crashes');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { log(e.message); process.exit(1); });
}
