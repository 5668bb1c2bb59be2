// node --test: a catalogue that looks nothing like goodbooks (tests/fixtures/catalogue: string ids, half-star
// ratings 0.5..5, other column names and order, CRLF, BOM) goes through the whole chain: the native CLI trains
// an mf model with the column flags, exports it, and the WebAssembly module loads the export with the same
// string ids in the same order, the same rating scale and the same predictions as the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, wasmMissing, cli, loadVariant, cliPredict, readCsv } from './wasm-common.mjs';

const skip = wasmMissing();
const DIR = path.join(ROOT, 'tests', 'fixtures', 'catalogue');
const fixture = JSON.parse(readFileSync(path.join(DIR, 'fixture.json'), 'utf8'));
const FLAGS = ['--ratings', path.join(DIR, 'ratings.csv'), '--books', path.join(DIR, 'books.csv'), ...fixture.cli,
  '--item-id-col', fixture.items.id_col, '--title-col', fixture.items.title_col,
  '--author-col', fixture.items.author_col, '--image-col', fixture.items.image_col];

let tmp, br, model, ratings;

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'bookrec-cat-'));
  cli(['train', ...FLAGS, '--arch', 'mf', '--epochs', '5', '--threads', '1', '--out', path.join(tmp, 'model.bkr')]);
  cli(['export', ...FLAGS, '--model', path.join(tmp, 'model.bkr'), '--out', path.join(tmp, 'out'),
    '--quantize', 'f32', '--no-eval']);
  br = await loadVariant('simd');
  model = await br.Model.load(readFileSync(path.join(tmp, 'out', 'model-items.bkr')));
  await model.loadUsers(readFileSync(path.join(tmp, 'out', 'model-users.bkr')));
  ratings = readCsv(path.join(DIR, 'ratings.csv'));
});
after(() => {
  model?.free();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('string item ids survive export and load, in books.json order', { skip }, () => {
  const books = JSON.parse(readFileSync(path.join(tmp, 'out', 'books.json'), 'utf8'));
  const ids = model.itemIds;
  assert.equal(ids.length, fixture.expect.items);
  assert.deepEqual(new Set(ids), new Set(ratings.map((r) => r.item)));
  assert.ok(ids.every((id) => /^isbn-\d{13}$/.test(id)), 'ids are the CSV strings');
  assert.deepEqual(books.map((b) => b.book_id), ids, 'books.json follows the model order');
  for (const id of ids.slice(0, 10)) assert.equal(ids[model.itemIndex(id)], id);
});

test('the rating scale is the data\'s (half stars, 0.5..5)', { skip }, () => {
  assert.deepEqual(Array.from(model.ratingRange), [fixture.expect.min_rating, fixture.expect.max_rating]);
});

test('predictions for string user and book ids equal the CLI\'s', { skip }, () => {
  const pairs = ratings.slice(0, 300).map((r) => [r.member, r.item]);
  const ref = cliPredict(['--model', path.join(tmp, 'model.bkr')], pairs, tmp);
  const got = model.predict(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
  assert.equal(got.length, pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    assert.ok(Math.abs(got[i] - ref[i]) < 1e-4, `pair ${pairs[i]}: module ${got[i]} vs CLI ${ref[i]}`);
    assert.ok(got[i] >= 0.5 && got[i] <= 5, `prediction ${got[i]} outside the scale`);
  }
});

test('a new reader with half-star ratings folds in; ratings off the scale throw', { skip }, () => {
  const ids = model.itemIds;
  const pairs = [[ids[0], 4.5], [ids[1], 0.5], [ids[2], 3.5]];
  const recs = model.recommendState(model.foldIn(pairs), { k: 5, exclude: pairs.map((p) => p[0]) });
  assert.equal(recs.length, 5);
  for (const r of recs) assert.ok(!pairs.some((p) => p[0] === r.id) && ids.includes(r.id));
  assert.throws(() => model.foldIn([[ids[0], 5.5]]), Error);
  assert.throws(() => model.foldIn([[ids[0], 0.25 - 0.5]]), Error);
  assert.throws(() => model.foldIn([['isbn-0000000000000', 3]]), /isbn-0000000000000/);
});

test('a dataset user with a string id gets recommendations without their own books', { skip }, () => {
  const user = ratings[0].member;
  const rated = ratings.filter((r) => r.member === user).map((r) => r.item);
  const recs = model.recommendUser(user, { k: 10, exclude: rated });
  assert.equal(recs.length, 10);
  for (const r of recs) assert.ok(!rated.includes(r.id), `${r.id} was rated by ${user}`);
});
