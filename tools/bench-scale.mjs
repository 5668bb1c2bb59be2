// bench-scale.mjs - the scale rows of `npm run bench:train` (alone with `--scale-only`): for each factor of
// --scales (default 10,30), a synthetic goodbooks-shaped ratings file that many times goodbooks' size
// (tools/gen-fixture.mjs --scale N; kept in --scale-dir DIR when given, else a temp dir deleted afterwards), then
// `bookrec train --arch mf --epochs 1 --patience 0` twice, once parsing the CSV (and writing its ratings cache) and
// once reading the cache, once more with the readers' rows by row-wise Adagrad (--reader-lr, one number per reader
// instead of Adam's two moments per weight), `bookrec train --arch ials --epochs 1` and `bookrec train --arch ease` (the top-N default)
// from the cache: seconds per epoch (EASE: the whole fit), parse and cache-read seconds, peak memory (max RSS from
// /usr/bin/time -v) and bytes of peak memory per rating, side by side, with the time per rating and epoch to judge
// linearity. Each run is one at a time (they take minutes).
// Not a test: it reports, and marks the goals (2 GB at 100 M ratings for each model and for the top-N default,
// time linear within 15%) met or not.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT, CLI, log } from './lib.mjs';

const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const mark = (ok) => (ok ? 'met' : 'NOT met');

// Runs the CLI under /usr/bin/time -v with env; returns { stderr, wall, rssKB }; throws on failure.
function timedCli(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28,
    env: { ...process.env, ...env } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) throw new Error(`${CLI}: ${r.error.message}`);
  if (r.status !== 0) {
    process.stderr.write(r.stderr.slice(-4000));
    throw new Error(`bookrec ${args.join(' ')} exited with ${r.status}`);
  }
  const rssKB = Number((r.stderr.match(/Maximum resident set size \(kbytes\): (\d+)/) || [])[1] || NaN);
  return { stderr: r.stderr, wall, rssKB };
}

// Seconds the cache read took, from its note on stderr (NaN when the cache was not read).
const cacheRead = (stderr) => Number((stderr.match(/ratings cache: read .* in ([0-9.]+) s/) || [])[1] || NaN);

function mfRun(csv, dir, name, env, threads, extra = []) {
  const model = path.join(dir, `${name}.bkr`);
  const r = timedCli(['train', '--arch', 'mf', '--epochs', '1', '--patience', '0', '--threads', String(threads),
    '--ratings', csv, '--out', model, ...extra], env);
  const h = JSON.parse(readFileSync(model.replace(/\.bkr$/, '.history.json'), 'utf8'));
  return { rssKB: r.rssKB, wall: r.wall, epoch: h.epochs[0].seconds, parse: h.timings.parse_seconds,
    read: h.timings.read_seconds, cacheRead: cacheRead(r.stderr), ratings: h.data.ratings, users: h.data.users,
    train: h.split.train, packed: /training ratings packed: .* at (\d+) bytes/.exec(r.stderr)?.[1] };
}

// `train --arch ials --epochs 1` or `train --arch ease` (its fit is one solve): peak memory and fit seconds.
function topnRun(arch, csv, dir, env, threads) {
  const model = path.join(dir, `${arch}.bkr`);
  const epochs = arch === 'ials' ? ['--epochs', '1'] : [];
  const r = timedCli(['train', '--arch', arch, ...epochs, '--threads', String(threads), '--ratings', csv,
    '--out', model], env);
  const h = JSON.parse(readFileSync(model.replace(/\.bkr$/, '.history.json'), 'utf8'));
  return { rssKB: r.rssKB, wall: r.wall, epoch: h.final.fit_seconds, cacheRead: cacheRead(r.stderr) };
}

// The readers' learning rate of the row-wise Adagrad row (test RMSE on goodbooks' mf: 0.8288 against Adam's 0.8297).
const READER_LR = 0.03;

// Generates (or reuses) the ×factor file and measures the runs.
function oneScale(factor, dir, threads) {
  const csv = path.join(dir, `ratings-x${factor}.csv`);
  if (!existsSync(csv)) {
    log(`scale ×${factor}: generating ${csv}`);
    const g = spawnSync('node', [path.join(ROOT, 'tools', 'gen-fixture.mjs'), '--scale', String(factor), '--out', csv],
      { cwd: ROOT, encoding: 'utf8' });
    if (g.status !== 0) throw new Error(`gen-fixture --scale ${factor} failed: ${g.stderr}`);
  }
  const cacheDir = path.join(dir, `cache-x${factor}`);
  rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  const env = { BOOKREC_RATINGS_CACHE: cacheDir };
  log(`scale ×${factor}: mf, parsing ${csv} (${(statSync(csv).size / 1e6).toFixed(0)} MB)`);
  const first = mfRun(csv, dir, `mf-x${factor}-a`, env, threads);
  log(`scale ×${factor}: mf from the cache`);
  const cached = mfRun(csv, dir, `mf-x${factor}-b`, env, threads);
  log(`scale ×${factor}: mf with the readers by row-wise Adagrad (--reader-lr ${READER_LR}), from the cache`);
  const rowwise = mfRun(csv, dir, `mf-x${factor}-c`, env, threads, ['--reader-lr', String(READER_LR)]);
  log(`scale ×${factor}: ials from the cache`);
  const ials = topnRun('ials', csv, dir, env, threads);
  log(`scale ×${factor}: ease from the cache`);
  const ease = topnRun('ease', csv, dir, env, threads);
  rmSync(cacheDir, { recursive: true, force: true });
  return { factor, csvBytes: statSync(csv).size, first, cached, rowwise, ials, ease };
}

// Runs the scale rows; returns { rows, lines } (the report's lines).
export function benchScale({ scales = [10, 30], dir = null, threads = 2, tmp }) {
  const keep = !!dir;
  const work = dir || path.join(tmp, 'scale');
  mkdirSync(work, { recursive: true });
  const rows = [];
  try {
    for (const s of scales) rows.push(oneScale(s, work, threads));
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
  const l = [];
  l.push('');
  l.push(`scale rows: synthetic goodbooks-shaped files, 1 epoch each, ${threads} threads (mf: dim 32, --patience 0; ials: dim 64; ease: K 24, its one solve as the "epoch")`);
  l.push('| data | ratings | readers | model | parse s (first run) | cache read s | s per epoch | µs per rating and epoch | peak MB | bytes per rating |');
  l.push('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const n = r.first.ratings;
    const line = (model, run, parse, cread, perRating) => l.push(`| ×${r.factor} | ${n} | ${r.first.users} | ${model} | ${parse} | ${cread} | ` +
      `${f(run.epoch, 2)} | ${f(perRating, 3)} | ${f(run.rssKB / 1024, 0)} | ${f((run.rssKB * 1024) / n, 1)} |`);
    line(`mf, parsing${r.first.packed ? ` (${r.first.packed} B/rating packed)` : ''}`, r.first,
      f(r.first.parse + r.first.read, 2), '-', (r.first.epoch / r.first.train) * 1e6);
    line('mf, cached', r.cached, '-', f(r.cached.cacheRead, 2), (r.cached.epoch / r.cached.train) * 1e6);
    line(`mf --reader-lr ${READER_LR}, cached`, r.rowwise, '-', f(r.rowwise.cacheRead, 2),
      (r.rowwise.epoch / r.rowwise.train) * 1e6);
    line('ials, cached', r.ials, '-', f(r.ials.cacheRead, 2), (r.ials.epoch / n) * 1e6);
    line('ease (top-N default), cached', r.ease, '-', f(r.ease.cacheRead, 2), (r.ease.epoch / n) * 1e6);
  }
  if (rows.length >= 2) {
    const a = rows[0], b = rows[rows.length - 1];
    const lin = (x, y) => (y.epoch / y.train) / (x.epoch / x.train);
    const mfLin = lin(a.cached, b.cached);
    const ialsLin = (b.ials.epoch / b.first.ratings) / (a.ials.epoch / a.first.ratings);
    l.push(`time per rating, ×${b.factor} over ×${a.factor}: mf ${f(mfLin, 2)}, ials ${f(ialsLin, 2)} (1.00 is linear)`);
    l.push(`goal: time linear within 15%: mf ${mark(Math.abs(mfLin - 1) <= 0.15)}, ials ${mark(Math.abs(ialsLin - 1) <= 0.15)}`);
  }
  const big = rows.find((r) => r.first.ratings >= 9e7);
  if (big) {
    const gb = (run) => run.rssKB / 1024 / 1024;
    const each = [['mf', big.cached], [`mf --reader-lr ${READER_LR}`, big.rowwise], ['ials', big.ials], ['ease', big.ease]]
      .map(([name, run]) => `${name} ${f(gb(run), 2)} GB ${mark(gb(run) <= 2)}`).join(', ');
    l.push(`goal: 100 M ratings in <= 2 GB peak: ${each}; the top-N default (ease): ${mark(gb(big.ease) <= 2)}`);
  } else {
    l.push('goal: 100 M ratings in <= 2 GB peak: not measured in this run (add 100 to --scales)');
  }
  return { rows, lines: l };
}
