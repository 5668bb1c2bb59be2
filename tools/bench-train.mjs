// `npm run bench:train -- [--epochs 5] [--skip-torch] [--skip-scale] [--scale 10] [--data DIR] [--threads 2]
//  [--scales 10,30] [--scale-dir DIR] [--scale-only]`
// Trains the tutorial's network on the same data and the same 80/20 split with Debian's PyTorch
// (tools/bench_torch.py, /usr/bin/python3, 2 threads) and with bookrec (`bookrec train --arch seed`),
// in one run, and prints side by side: seconds per epoch, total training seconds, CSV parse seconds,
// final test RMSE, peak memory (max RSS from /usr/bin/time -v) and the speed-up. The split is bookrec's
// own: tools/bench_split.c (linked with the core) writes the rows `bookrec train` trains and tests on, and
// PyTorch reads those. Then a scaling row: bookrec for one epoch on a synthetic ratings file N times the
// size (tools/gen-fixture.mjs --scale N, in a temp dir) against one epoch on the real data. Then EASE (the top-N
// model the site ships): bookrec_ease_dense on every rating (tools/bench_ease.c, linked with the core) beside
// numpy computing the same B on the same rows (tools/bench_ease.py, /usr/bin/python3, Debian's python3-numpy;
// OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command only), with the largest difference of B's rows.
// Last, the scale rows (tools/bench-scale.mjs; --scales, --scale-only): mf and iALS on 10× and 30× (or 100×)
// synthetic files, parsed and from the ratings cache, with peak memory per rating.
// A benchmark, not a test: it only reports, and marks each goal as met or not.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, BUILD, CLI, ensureDeps, findData, run, log } from './lib.mjs';
import { benchScale } from './bench-scale.mjs';

function parseArgs(argv) {
  const o = { epochs: 5, skipTorch: false, skipScale: false, skipEase: false, scale: 10, data: null, threads: 2, json: null, lambda: 300 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--epochs') o.epochs = Number(argv[++i]);
    else if (a === '--skip-torch') o.skipTorch = true;
    else if (a === '--skip-scale') o.skipScale = true;
    else if (a === '--skip-ease') o.skipEase = true;
    else if (a === '--ease-only') { o.skipTorch = true; o.skipScale = true; o.seedSkip = true; }
    else if (a === '--scale') o.scale = Number(argv[++i]);
    else if (a === '--scales') o.scales = argv[++i].split(',').map(Number);
    else if (a === '--scale-dir') o.scaleDir = argv[++i];
    else if (a === '--skip-scale-rows') o.skipScaleRows = true;
    else if (a === '--scale-only') { o.scaleOnly = true; o.skipTorch = true; }
    else if (a === '--data') o.data = argv[++i];
    else if (a === '--threads') o.threads = Number(argv[++i]);
    else if (a === '--json') o.json = argv[++i];
    else if (a === '-h' || a === '--help') {
      console.log('usage: npm run bench:train -- [--epochs 5] [--skip-torch] [--skip-scale] [--skip-ease] [--ease-only] [--scale 10] [--data DIR] [--threads 2] [--json FILE] [--scales 10,30] [--scale-dir DIR] [--scale-only] [--skip-scale-rows]');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (!(o.epochs >= 1)) throw new Error('--epochs needs a positive number');
  if (o.scales && !o.scales.every((x) => Number.isInteger(x) && x >= 1)) throw new Error('--scales needs factors like 10,30');
  return o;
}

// Runs cmd under /usr/bin/time -v; returns { stdout, stderr, wall, rssMB }; throws on failure.
function timed(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    process.stderr.write(r.stderr.slice(-4000));
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  }
  const rss = Number((r.stderr.match(/Maximum resident set size \(kbytes\): (\d+)/) || [])[1] || NaN);
  return { stdout: r.stdout, stderr: r.stderr, wall, rssMB: rss / 1024 };
}

function trainBookrec(args, dir, name, threads) {
  const model = path.join(dir, `${name}.bkr`);
  const r = timed(CLI, ['train', '--arch', 'seed', '--threads', String(threads), '--out', model, ...args]);
  const hist = JSON.parse(readFileSync(model.replace(/\.bkr$/, '.history.json'), 'utf8'));
  const epochs = hist.epochs.map((e) => e.seconds);
  return {
    wall: r.wall, rssMB: r.rssMB, parse: hist.timings.parse_seconds, read: hist.timings.read_seconds,
    train: hist.timings.train_seconds, perEpoch: epochs.reduce((a, b) => a + b, 0) / epochs.length, medEpoch: median(epochs),
    epochs, rmse: hist.final.test_rmse, kernels: hist.kernels, rows: hist.data.ratings,
    users: hist.data.users, books: hist.data.books, train_n: hist.split.train, test_n: hist.split.test,
  };
}

// Builds build/ like lib.mjs's buildNative, with the build's chatter on stderr so stdout is only the report.
function buildNative() {
  const quiet = { stdio: ['ignore', 2, 2] };
  if (!existsSync(path.join(BUILD, 'CMakeCache.txt'))) {
    run('cmake', ['-S', ROOT, '-B', BUILD, '-DCMAKE_BUILD_TYPE=Release'], quiet);
  }
  run('cmake', ['--build', BUILD, '-j', '2', '--target', 'bookrec', 'bookrec_core'], quiet);
}

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const mark = (ok) => (ok ? 'met' : 'NOT met');

// EASE on every rating: bookrec's dense solve (bench_ease.c) and numpy's on the same rows, compared row by row.
function benchEase(ratings, tmp, lambda) {
  const helper = path.join(BUILD, 'bench_ease');
  const cache = readFileSync(path.join(BUILD, 'CMakeCache.txt'), 'utf8');
  const lapack = (cache.match(/^BOOKREC_LAPACK_LIB:FILEPATH=(.+)$/m) || [])[1];
  const libs = lapack && !lapack.endsWith('NOTFOUND') ? [lapack] : [];
  const cc = spawnSync('cc', ['-O2', '-std=c11', '-I', path.join(ROOT, 'include'), path.join(ROOT, 'tools', 'bench_ease.c'),
    path.join(BUILD, 'libbookrec_core.a'), ...libs, '-lm', '-o', helper], { stdio: 'inherit' });
  if (cc.status !== 0) throw new Error('could not compile tools/bench_ease.c');
  const triples = path.join(tmp, 'ease-triples.csv');
  const rows = path.join(tmp, 'ease-rows.f32');
  log(`EASE: bookrec_ease_dense on ${ratings} (lambda ${lambda})`);
  const b = timed(helper, [ratings, String(lambda), triples, rows, '20']);
  const bj = JSON.parse(b.stdout.trim());
  log('EASE: numpy on the same rows (float64, as the textbook writes it)');
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const n = timed('/usr/bin/python3', [path.join(ROOT, 'tools', 'bench_ease.py'), '--triples', triples, '--rows', rows,
    '--n-rows', String(bj.rows), '--items', String(bj.items), '--lam', String(lambda)], { env });
  const nj = JSON.parse(n.stdout.trim().split('\n').pop());
  return { bookrec: { ...bj, rssMB: b.rssMB, lapack: libs.length > 0 }, numpy: { ...nj, rssMB: n.rssMB } };
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  ensureDeps(o.skipTorch ? ['base'] : ['base', 'torch']);
  buildNative();
  const data = o.scaleOnly ? null : findData(o.data); /* the scale rows need no real data */
  if (!data && !o.scaleOnly) throw new Error('goodbooks-10k not found: give --data DIR (with ratings.csv) or set BOOKREC_DATA');
  const ratings = data && path.join(data, 'ratings.csv');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bookrec-bench-'));
  const out = { date: new Date().toISOString(), cpu: os.cpus()[0]?.model, cores: os.cpus().length, epochs: o.epochs,
    threads: o.threads, loadBefore: os.loadavg()[0] };
  try {
    if (o.scaleOnly) {
      const sc = benchScale({ scales: o.scales || [10, 30], dir: o.scaleDir, threads: o.threads, tmp });
      out.scaleRows = sc.rows;
      console.log(sc.lines.join('\n'));
      const jsonPath = o.json || path.join(BUILD, 'bench-train.json');
      writeFileSync(jsonPath, JSON.stringify(out, null, 2));
      log(`figures also in ${jsonPath}`);
      return;
    }
    if (!o.skipEase) out.ease = benchEase(ratings, tmp, o.lambda);
    if (o.seedSkip) {
      reportEase(out);
      return;
    }
    log(`bookrec: ${o.epochs} epochs of --arch seed on ${ratings}, ${o.threads} threads`);
    const br = trainBookrec(['--ratings', ratings, '--epochs', String(o.epochs)], tmp, 'seed', o.threads);
    out.bookrec = br;

    if (!o.skipTorch) {
      // bookrec's split, written by a helper linked with the core (the same parse and bookrec_split call)
      const helper = path.join(BUILD, 'bench_split');
      const lib = path.join(BUILD, 'libbookrec_core.a');
      const cc = spawnSync('cc', ['-O2', '-std=c11', '-I', path.join(ROOT, 'include'), path.join(ROOT, 'tools', 'bench_split.c'),
        lib, '-lm', '-o', helper], { stdio: 'inherit' });
      if (cc.status !== 0) throw new Error('could not compile tools/bench_split.c');
      const trainCsv = path.join(tmp, 'train.csv');
      const testCsv = path.join(tmp, 'test.csv');
      const sp = spawnSync(helper, [ratings, '0.2', '1', trainCsv, testCsv], { encoding: 'utf8' });
      if (sp.status !== 0) throw new Error(`bench_split failed: ${sp.stderr}`);
      const split = JSON.parse(sp.stdout);
      if (split.train !== br.train_n || split.test !== br.test_n) {
        throw new Error(`split mismatch: helper ${split.train}/${split.test}, bookrec ${br.train_n}/${br.test_n}`);
      }
      log(`PyTorch: ${o.epochs} epochs on the same ${split.train} / ${split.test} rows, ${o.threads} threads (about 15-20 s per epoch)`);
      const t = timed('/usr/bin/python3', [path.join(ROOT, 'tools', 'bench_torch.py'), '--train', trainCsv, '--test', testCsv,
        '--epochs', String(o.epochs), '--threads', String(o.threads)], { stdio: ['ignore', 'pipe', 'pipe'] });
      const tj = JSON.parse(t.stdout.trim().split('\n').pop());
      const secs = tj.epochs.map((e) => e.seconds);
      out.torch = {
        version: tj.torch_version, wall: t.wall, rssMB: t.rssMB, parse: tj.parse_seconds, train: tj.train_seconds,
        perEpoch: secs.reduce((a, b) => a + b, 0) / secs.length, medEpoch: median(secs), epochs: secs, rmse: tj.test_rmse, split: tj.split,
      };
    }

    if (!o.skipScale) {
      const gen = path.join(ROOT, 'tools', 'gen-fixture.mjs');
      if (!existsSync(gen)) {
        log('tools/gen-fixture.mjs is missing: no scaling row');
      } else {
        const bigRatings = path.join(tmp, `ratings-x${o.scale}.csv`);
        const g = spawnSync('node', [gen, '--scale', String(o.scale), '--out', bigRatings], { cwd: ROOT, encoding: 'utf8' });
        if (g.status !== 0) throw new Error(`gen-fixture --scale ${o.scale} failed: ${g.stderr}`);
        log(`scaling: 1 epoch on the real data and on ${bigRatings} (${(statSync(bigRatings).size / 1e6).toFixed(0)} MB)`);
        const one = trainBookrec(['--ratings', ratings, '--epochs', '1'], tmp, 'one', o.threads);
        const ten = trainBookrec(['--ratings', bigRatings, '--epochs', '1'], tmp, 'ten', o.threads);
        out.scale = { factor: o.scale, real: one, big: ten, ratio: ten.epochs[0] / one.epochs[0], rowRatio: ten.rows / one.rows };
      }
    }
    if (!o.skipScaleRows) out.scaleRowsReport = benchScale({ scales: o.scales || [10, 30], dir: o.scaleDir, threads: o.threads, tmp });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  out.loadAfter = os.loadavg()[0];
  // ------------------------------------------------------------------ report
  const b = out.bookrec;
  const t = out.torch;
  const lines = [];
  lines.push(`bench:train — ${out.epochs} epochs of the tutorial network (--arch seed), ${o.threads} threads, ${out.cpu} (${out.cores} cores)`);
  lines.push(`1-minute load average: ${f(out.loadBefore, 1)} before, ${f(out.loadAfter, 1)} after (other processes on the machine slow both sides; medians resist it)`);
  lines.push(`data: ${b.rows} ratings after merging duplicates, ${b.users} users, ${b.books} books; split 80/20 seed 1: ${b.train_n} train / ${b.test_n} test (the same rows for both)`);
  lines.push('');
  lines.push(`| | PyTorch ${t ? t.version : '(skipped)'} | bookrec (${b.kernels}) | ratio |`);
  lines.push('|---|---:|---:|---:|');
  const row = (name, tv, bv, d, ratio = '') => lines.push(`| ${name} | ${t ? f(tv, d) : '-'} | ${f(bv, d)} | ${ratio} |`);
  row('seconds per epoch (fastest)', t ? Math.min(...t.epochs) : NaN, Math.min(...b.epochs), 3,
    t ? `${f(Math.min(...t.epochs) / Math.min(...b.epochs), 1)}×` : '');
  row('seconds per epoch (median)', t?.medEpoch, b.medEpoch, 3, t ? `${f(t.medEpoch / b.medEpoch, 1)}× faster` : '');
  row('seconds per epoch (mean)', t?.perEpoch, b.perEpoch, 3, t ? `${f(t.perEpoch / b.perEpoch, 1)}×` : '');
  row(`training seconds (${out.epochs} epochs)`, t?.train, b.train, 2, t ? `${f(t.train / b.train, 1)}×` : '');
  row('process wall seconds (all)', t?.wall, b.wall, 2, t ? `${f(t.wall / b.wall, 1)}×` : '');
  row('CSV parse seconds', t?.parse, b.parse, 3);
  row('final test RMSE', t?.rmse, b.rmse, 4, t ? `${b.rmse <= t.rmse ? '≤' : '>'} (Δ ${f(b.rmse - t.rmse, 4)})` : '');
  row('peak memory (max RSS, MB)', t?.rssMB, b.rssMB, 0);
  lines.push('');
  lines.push('per-epoch seconds:');
  if (t) lines.push(`  PyTorch: ${t.epochs.map((x) => f(x, 2)).join(', ')}`);
  lines.push(`  bookrec: ${b.epochs.map((x) => f(x, 3)).join(', ')}`);
  if (out.scale) {
    const s = out.scale;
    lines.push('');
    lines.push(`| scaling (1 epoch, bookrec) | ratings | seconds for the epoch | CSV parse s | peak MB |`);
    lines.push('|---|---:|---:|---:|---:|');
    lines.push(`| real goodbooks | ${s.real.rows} | ${f(s.real.epochs[0], 3)} | ${f(s.real.parse, 3)} | ${f(s.real.rssMB, 0)} |`);
    lines.push(`| synthetic ×${s.factor} | ${s.big.rows} | ${f(s.big.epochs[0], 3)} | ${f(s.big.parse, 3)} | ${f(s.big.rssMB, 0)} |`);
    lines.push(`| ratio | ${f(s.rowRatio, 1)}× | ${f(s.ratio, 1)}× | ${f(s.big.parse / s.real.parse, 1)}× | |`);
  }
  lines.push('');
  lines.push('goals:');
  if (t) lines.push(`  ≥ 30× faster per epoch (medians): ${f(t.medEpoch / b.medEpoch, 1)}× — ${mark(t.medEpoch / b.medEpoch >= 30)}`);
  if (t) lines.push(`  test RMSE equal or better than PyTorch: ${f(b.rmse, 4)} vs ${f(t.rmse, 4)} — ${mark(b.rmse <= t.rmse)}`);
  lines.push(`  ${out.epochs} epochs under 5 s wall (training): ${f(b.train, 2)} s — ${mark(b.train < 5)}`);
  lines.push(`  CSV parsing under 0.5 s: ${f(b.parse, 3)} s — ${mark(b.parse < 0.5)}`);
  lines.push(`  peak memory under 200 MB: ${f(b.rssMB, 0)} MB — ${mark(b.rssMB < 200)}`);
  if (out.scale) lines.push(`  ×${out.scale.factor} data takes about ×${out.scale.factor} time: ${f(out.scale.ratio, 1)}× — ${mark(out.scale.ratio <= out.scale.factor * 1.3)}`);
  console.log(lines.join('\n'));
  if (out.scaleRowsReport) {
    console.log(out.scaleRowsReport.lines.join('\n'));
    out.scaleRows = out.scaleRowsReport.rows;
    delete out.scaleRowsReport;
  }
  reportEase(out);
  const jsonPath = o.json || path.join(BUILD, 'bench-train.json');
  writeFileSync(jsonPath, JSON.stringify(out, null, 2));
  log(`figures also in ${jsonPath}`);
}

// Prints the EASE rows (when measured) and writes the JSON when only EASE ran.
function reportEase(out) {
  const e = out.ease;
  if (!e) return;
  const l = [];
  l.push('');
  l.push(`EASE on every rating (${e.bookrec.ratings} ratings, ${e.bookrec.items} books, lambda ${out.lambda ?? 300}), 2 cores:`);
  l.push(`| | numpy ${e.numpy.numpy} (float64) | bookrec (${e.bookrec.lapack ? 'LAPACK spotrf + spotri' : 'built-in inverse'}, float32) | ratio |`);
  l.push('|---|---:|---:|---:|');
  l.push(`| seconds for B (Gram + inverse) | ${f(e.numpy.seconds)} | ${f(e.bookrec.seconds)} | ${f(e.numpy.seconds / e.bookrec.seconds, 1)}× |`);
  l.push(`| peak memory (max RSS, MB) | ${f(e.numpy.rssMB, 0)} | ${f(e.bookrec.rssMB, 0)} | |`);
  l.push(`largest |B_bookrec - B_numpy| over the first ${e.bookrec.rows} rows: ${e.numpy.max_abs_diff.toExponential(2)} (largest |B| there ${f(e.numpy.max_abs_b, 4)})`);
  l.push(`goal: EASE on goodbooks in < 20 s on 2 cores: ${f(e.bookrec.seconds)} s — ${mark(e.bookrec.seconds < 20)}`);
  console.log(l.join('\n'));
}

try {
  main();
} catch (e) {
  log(e.message);
  process.exit(1);
}
