// node --test: the top-N models (EASE, and iALS's fold-in) through the JS API, both builds (SIMD, no-SIMD). An EASE model is trained and
// exported with the native CLI on the fixture dataset; the module must rank a new reader exactly as
// `bookrec recommend --rate` does from the same weights, show calibrated match chances that fall with the score,
// explain each recommendation with rated books only (largest first), rank a reader with no ratings by the
// popularity prior, give dataset readers the same state as their ratings folded in, and throw clear Errors.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VARIANTS, wasmMissing, fixtureDir, cli, loadVariant, readCsv } from './wasm-common.mjs';

const skip = wasmMissing();
let fx = null;

before(() => {
  if (skip) return;
  const data = fixtureDir();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bookrec-topn-'));
  const model = path.join(tmp, 'ease.bkr');
  cli(['train', '--arch', 'ease', '--data', data, '--dim', '16', '--lambda', '20', '--held-out', '40', '--out', model]);
  const dir = path.join(tmp, 'export');
  cli(['export', '--data', data, '--model', model, '--out', dir, '--quantize', 'f32']);
  const ratings = readCsv(path.join(data, 'ratings.csv'));
  const ials = path.join(tmp, 'ials.bkr');
  cli(['train', '--arch', 'ials', '--data', data, '--dim', '16', '--held-out', '40', '--threads', '2', '--out', ials]);
  cli(['export', '--data', data, '--model', ials, '--out', path.join(tmp, 'iexp'), '--quantize', 'f32']);
  fx = {
    tmp, data, model, ials,
    items: readFileSync(path.join(dir, 'model-items.bkr')),
    users: readFileSync(path.join(dir, 'model-users.bkr')),
    ialsItems: readFileSync(path.join(tmp, 'iexp', 'model-items.bkr')),
    ratings,
  };
});
after(() => fx && rmSync(fx.tmp, { recursive: true, force: true }));

// The first dataset reader with at least `n` ratings, as [[book, rating], ...].
function readerPairs(n) {
  const by = new Map();
  for (const r of fx.ratings) {
    const u = r.user_id;
    if (!by.has(u)) by.set(u, []);
    by.get(u).push([r.book_id, Number(r.rating)]);
  }
  for (const [u, pairs] of by) if (pairs.length >= n) return { user: u, pairs };
  throw new Error('no reader with enough ratings in the fixture');
}

for (const variant of VARIANTS) {
  describe(`top-N models (${variant})`, { skip: skip || undefined }, () => {
    let mod;
    let model;
    before(async () => {
      mod = await loadVariant(variant);
      model = await mod.Model.load(fx.items);
    });
    after(() => model?.free());

    test('kind, arch and state size', () => {
      assert.equal(model.kind, 'topn');
      assert.equal(model.arch, 'ease');
      assert.equal(model.stateSize, model.nItems);
    });

    test('a new reader is ranked as `bookrec recommend --rate` ranks them', () => {
      const { pairs } = readerPairs(8);
      const mine = pairs.slice(0, 8);
      const recs = model.recommendState(model.foldIn(mine), { k: 10, exclude: mine.map((p) => p[0]) });
      const out = cli(['recommend', '--model', fx.model, '--data', fx.data, '--rate', mine.map((p) => p.join(':')).join(','), '-k', '10']);
      const cliIds = out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^\d+$/.test(f[0]) && f.length > 2).map((f) => f[1]);
      assert.deepEqual(recs.map((r) => r.id), cliIds);
      for (const r of recs) assert.ok(!mine.some((p) => p[0] === r.id), `rated book ${r.id} recommended`);
      for (let i = 1; i < recs.length; i++) {
        assert.ok(recs[i].match > 0 && recs[i].match < 1, `match ${recs[i].match}`);
        assert.ok(recs[i].match <= recs[i - 1].match, 'match falls with the score');
      }
    });

    test('explanations name rated books, largest first, and only positive terms', () => {
      const { pairs } = readerPairs(8);
      const mine = pairs.slice(0, 8);
      const state = model.foldIn(mine);
      const recs = model.recommendState(state, { k: 5, exclude: mine.map((p) => p[0]) });
      let explained = 0;
      for (const r of recs) {
        const why = model.explain(state, r.id, { k: 3 });
        assert.ok(why.length <= 3);
        for (let i = 0; i < why.length; i++) {
          assert.ok(mine.some((p) => p[0] === why[i].id), `explanation ${why[i].id} was not rated`);
          assert.ok(why[i].contribution > 0);
          if (i) assert.ok(why[i].contribution <= why[i - 1].contribution);
        }
        explained += why.length > 0;
      }
      assert.ok(explained >= 3, `only ${explained} of 5 recommendations have a reason`);
    });

    test('no ratings: the popularity prior ranks', () => {
      const state = model.foldIn([]);
      assert.equal(state.length, model.nItems);
      assert.ok(state.every((x) => x === 0));
      const recs = model.recommendState(state, { k: 5 });
      const count = new Map();
      for (const r of fx.ratings) count.set(r.book_id, (count.get(r.book_id) || 0) + 1);
      const top = [...count].sort((a, b) => b[1] - a[1])[0][1];
      assert.ok(count.get(recs[0].id) >= top * 0.9, `the first book ${recs[0].id} is not among the most rated`);
    });

    test('a dataset reader is their ratings folded in', async () => {
      const m2 = await mod.Model.load(fx.items);
      try {
        await m2.loadUsers(fx.users);
        const { user, pairs } = readerPairs(20);
        const a = m2.userState(user);
        const b = m2.foldIn(pairs);
        // the model holds the reader's training ratings: books held out of the fit are missing from `a` only
        for (let i = 0; i < a.length; i++) if (a[i] !== 0) assert.equal(a[i], b[i]);
        const recs = m2.recommendUser(user, { k: 5 });
        assert.equal(recs.length, 5);
      } finally {
        m2.free();
      }
    });

    test('iALS: a new reader is folded in and ranked as `bookrec recommend --rate` does', async () => {
      const model = await mod.Model.load(fx.ialsItems);
      try {
        assert.equal(model.kind, 'topn');
        assert.equal(model.arch, 'ials');
        assert.equal(model.stateSize, 16);
        const mine = readerPairs(8).pairs.slice(0, 8);
        const recs = model.recommendState(model.foldIn(mine), { k: 10, exclude: mine.map((p) => p[0]) });
        const out = cli(['recommend', '--model', fx.ials, '--data', fx.data, '--rate', mine.map((p) => p.join(':')).join(','), '-k', '10']);
        const cliIds = out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^\d+$/.test(f[0]) && f.length > 2).map((f) => f[1]);
        assert.deepEqual(recs.map((r) => r.id), cliIds);
        assert.throws(() => model.explain(model.foldIn(mine), recs[0].id), /EASE/);
      } finally {
        model.free();
      }
    });

    test('rating weights and bad input', () => {
      const [lo, hi] = model.ratingRange;
      assert.ok(model.ratingWeight(lo) < 0 && model.ratingWeight(hi) > 0, 'low ratings push down, high ones pull up');
      assert.throws(() => model.explain(model.foldIn([]), 'no-such-book'), /unknown book id/);
      assert.throws(() => model.explain(new Float32Array(3), model.itemIds[0]), /state must have/);
      assert.throws(() => model.explain(model.foldIn([]), model.itemIds[0], { k: 0 }), /k must be/);
      assert.throws(() => model.match(NaN), /finite/);
    });
  });
}

