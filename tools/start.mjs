// `npm start [-- --data DIR] [--retrain] [--port 8080] [--no-serve]`: the whole set-up in one command.
// 1. installs what is missing (Debian packages when root, node modules) and builds the native CLI;
// 2. finds the goodbooks-10k data (--data DIR, $BOOKREC_DATA, ../shared/data/goodbooks-10k, data/), or
//    downloads ratings.csv, books.csv, book_tags.csv, tags.csv and to_read.csv from the dataset's GitHub
//    repository (zygmuntz/goodbooks-10k, CC BY-SA 4.0) into data/ and checks each file's header and size;
// 3. trains the default model into models/model.bkr unless one is there (or --retrain);
// 4. exports the browser's files into models/;
// 5. when the site tools exist (tools/build-site.mjs, tools/serve.mjs): builds the WebAssembly module
//    and the site into dist/ and serves it on http://127.0.0.1:8080 (Ctrl-C stops it). Otherwise it
//    ends after the export and prints where everything is.
import { existsSync, mkdirSync, renameSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, CLI, ensureDeps, buildNative, buildWasm, findData, run, log } from './lib.mjs';

// The model `npm start` trains when models/ holds none. Change these flags to change the default model.
// The default model (docs/models.md): EASE, the item-item top-N model, keeping the 24 largest entries of each row
// of B (the NDCG-vs-K curve of `bookrec train --arch ease --curve` is flat past 16-32, and 24 keeps the book side
// within the site's first-load budget), lambda 300 and rating weights -0.5 -0.2 0.2 0.7 1 chosen on held-out
// readers. `--arch mf` is the best rating model; `--arch seed` is the tutorial's network.
export const DEFAULT_TRAIN_ARGS = ['--arch', 'ease']; // K, lambda, weights: bookrec's own defaults
export const DEFAULT_EXPORT_ARGS = ['--quantize', 'q8'];
// EASE has no book vectors; the Embedding Projector files (vecs.tsv, meta.tsv, as the tutorial made them) take
// them from a small iALS model of the same books, trained beside it (models/vectors.bkr, a few seconds).
export const VECTORS_TRAIN_ARGS = ['--arch', 'ials', '--dim', '32'];

const DATA_URL = process.env.BOOKREC_DATA_URL || 'https://raw.githubusercontent.com/zygmuntz/goodbooks-10k/master';

// What a downloaded file must look like: accepted header lines and a minimal number of data rows.
// ratings.csv exists in two versions: 981,756 rows (Kaggle, book_id first) and 5,976,479 (GitHub, user_id first).
export const DATA_FILES = [
  { name: 'ratings.csv', headers: ['user_id,book_id,rating', 'book_id,user_id,rating'], minRows: 900000 },
  { name: 'books.csv', headers: ['book_id,goodreads_book_id,'], prefix: true, minRows: 10000 },
  { name: 'book_tags.csv', headers: ['goodreads_book_id,tag_id,count'], minRows: 900000 },
  { name: 'tags.csv', headers: ['tag_id,tag_name'], minRows: 30000 },
  { name: 'to_read.csv', headers: ['user_id,book_id'], minRows: 800000 },
];

function parseArgs(argv) {
  const o = { data: null, retrain: false, port: null, serve: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--data') o.data = path.resolve(argv[++i] || '');
    else if (a === '--retrain') o.retrain = true;
    else if (a === '--port') o.port = argv[++i];
    else if (a === '--no-serve') o.serve = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm start -- [--data DIR] [--retrain] [--port 8080] [--no-serve]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return o;
}

// Checks a file's text: the header line and the number of data rows. Returns null when fine, else why not.
export function verifyData(spec, text) {
  const text0 = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const nl = text0.indexOf('\n');
  const header = (nl < 0 ? text0 : text0.slice(0, nl)).replace(/\r$/, '').trim();
  const okHeader = spec.headers.some((h) => (spec.prefix ? header.startsWith(h) : header === h));
  if (!okHeader) return `unexpected header "${header.slice(0, 80)}" (expected ${spec.headers.join(' or ')})`;
  let rows = 0;
  for (let i = nl; i >= 0 && i < text0.length; i = text0.indexOf('\n', i + 1)) {
    if (i + 1 < text0.length) rows++;
  }
  if (rows < spec.minRows) return `only ${rows} rows (expected at least ${spec.minRows})`;
  return null;
}

async function download(url, tries = 3) {
  let last;
  for (let t = 1; t <= tries; t++) {
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      return Buffer.from(await res.arrayBuffer());
    } catch (e) {
      last = e;
      log(`  ${url}: ${e.message}${t < tries ? ', retrying' : ''}`);
      await new Promise((r) => setTimeout(r, 1000 * t));
    }
  }
  throw new Error(`could not download ${url}: ${last.message}`);
}

// Downloads the dataset into dir (each file via a temp name, renamed only once verified).
export async function fetchData(dir) {
  mkdirSync(dir, { recursive: true });
  log(`no goodbooks-10k data found; downloading it from ${DATA_URL} into ${dir}`);
  for (const spec of DATA_FILES) {
    const dest = path.join(dir, spec.name);
    if (existsSync(dest)) {
      log(`  ${spec.name}: already there`);
      continue;
    }
    const buf = await download(`${DATA_URL}/${spec.name}`);
    const why = verifyData(spec, buf.toString('utf8'));
    if (why) throw new Error(`${spec.name} from ${DATA_URL} failed verification: ${why}`);
    const tmp = `${dest}.download`;
    writeFileSync(tmp, buf);
    renameSync(tmp, dest);
    log(`  ${spec.name}: ${(buf.length / 1e6).toFixed(1)} MB, verified`);
  }
  writeFileSync(path.join(dir, 'SOURCE.txt'),
    `goodbooks-10k by Zygmunt Zajac, https://github.com/zygmuntz/goodbooks-10k (CC BY-SA 4.0)\n` +
    `downloaded ${new Date().toISOString()} from ${DATA_URL}\n`);
  return dir;
}

function newer(a, b) {
  return existsSync(a) && existsSync(b) && statSync(a).mtimeMs >= statSync(b).mtimeMs;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  ensureDeps(['base']);
  log('building the native CLI (build/)');
  buildNative();

  let data = findData(opts.data);
  if (opts.data && !data) throw new Error(`--data ${opts.data}: no ratings.csv and books.csv there`);
  if (!data) data = await fetchData(path.join(ROOT, 'data'));
  log(`data: ${data}`);

  const models = path.join(ROOT, 'models');
  const model = path.join(models, 'model.bkr');
  if (!existsSync(model) || opts.retrain) {
    log(`training the default model into ${model}`);
    run(CLI, ['train', '--data', data, '--out', model, ...DEFAULT_TRAIN_ARGS]);
  } else {
    log(`using the trained model ${model} (npm start -- --retrain trains it again)`);
  }
  const vectors = path.join(models, 'vectors.bkr');
  const easeDefault = DEFAULT_TRAIN_ARGS.includes('ease');
  if (easeDefault && (!existsSync(vectors) || !newer(vectors, model))) {
    log(`training the book vectors for the Embedding Projector files into ${vectors}`);
    run(CLI, ['train', '--data', data, '--out', vectors, ...VECTORS_TRAIN_ARGS]);
  }
  if (!newer(path.join(models, 'manifest.json'), model) || !existsSync(path.join(models, 'model-items.bkr'))) {
    log('exporting the browser files into models/');
    run(CLI, ['export', '--data', data, '--model', model, '--out', models, ...DEFAULT_EXPORT_ARGS,
      ...(easeDefault ? ['--vectors', vectors] : [])]);
  } else {
    log('export is up to date');
  }

  const site = path.join(ROOT, 'tools', 'build-site.mjs');
  const serve = path.join(ROOT, 'tools', 'serve.mjs');
  if (opts.serve && existsSync(site) && existsSync(serve)) {
    log('building the WebAssembly module (build-wasm/)');
    buildWasm();
    log('building the site (dist/)');
    run(process.execPath, [site, '--data', data, '--models', models]);
    const port = opts.port || process.env.PORT || '8080';
    log(`serving dist/ at http://127.0.0.1:${port}/ (Ctrl-C stops it)`);
    run(process.execPath, [serve, '--port', String(port)]);
    return;
  }
  log('done. Outputs:');
  log(`  model:    ${model} (+ .history.json, .loss.svg)`);
  log(`  export:   ${models}/ (model-items.bkr, model-users.bkr, books.json, vecs.tsv, meta.tsv, manifest.json)`);
  log(`  CLI:      ${CLI} --help`);
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  main().catch((e) => {
    log(`npm start failed: ${e.message}`);
    process.exit(1);
  });
}
