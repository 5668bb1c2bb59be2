// node --test: the WebAssembly module through its JS API (web/bookrec.js), both builds (SIMD, no-SIMD).
// A small tutorial ("seed") model is trained and exported with the native CLI on the fixture dataset;
// the module must predict what the CLI predicts from the same exported files (within 1e-4 on > 1,000
// pairs), exclude what it is told to, move a fantasy-only reader toward fantasy books, and turn every
// kind of bad input into a thrown Error while staying usable (non-finite weights in a model file too).
// Skips only when the wasm build is missing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { VARIANTS, wasmMissing, trainFixtureModel, loadVariant, cliPredict, rng, readCsv } from './wasm-common.mjs';

const skip = wasmMissing();
let fx = null; // the trained fixture model, shared by both variants

before(() => {
  if (!skip) fx = trainFixtureModel();
});
after(() => fx?.cleanup());

// Asserts that fn throws an Error (not a wasm trap) whose message matches re; returns the error.
function throwsError(fn, re, what) {
  let caught = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, `${what}: expected a thrown Error, got a result`);
  assert.ok(caught instanceof Error, `${what}: thrown value is not an Error: ${caught}`);
  assert.ok(!(caught instanceof WebAssembly.RuntimeError), `${what}: wasm trap: ${caught.message}`);
  assert.ok(caught.message.length > 8, `${what}: message too short: "${caught.message}"`);
  if (re) assert.match(caught.message, re, what);
  return caught;
}

async function rejectsError(promise, re, what) {
  let caught = null;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught, `${what}: expected a rejection, got a result`);
  assert.ok(caught instanceof Error && !(caught instanceof WebAssembly.RuntimeError), `${what}: ${caught}`);
  if (re) assert.match(caught.message, re, what);
  return caught;
}

// CRC-32 (IEEE, as zlib's): the model file's checksum, recomputed after a test patches a file.
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

// A copy of a model file with tensor `name`'s stored bytes patched by patch(view, dataOffset, dtype, cols)
// and the checksum fixed, so only the loader's value checks can refuse it.
function patchTensor(file, name, patch) {
  const b = Uint8Array.from(file);
  const want = new TextEncoder().encode(name);
  let at = -1;
  for (let p = 0; p + 2 + want.length <= b.length && at < 0; p++) {
    if (b[p] === want.length && b[p + 1] === 0 && want.every((x, j) => b[p + 2 + j] === x)) at = p;
  }
  assert.ok(at >= 0, `no tensor "${name}" in the file`);
  const v = new DataView(b.buffer);
  const hdr = at + 2 + want.length; // dtype u8, pad u8, rows u32, cols u32, bytes u64
  patch(v, hdr + 18, b[hdr], v.getUint32(hdr + 6, true));
  v.setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

// The fantasy books of the fixture, from whichever file or column records the genre.
function fantasyBooks(dir) {
  for (const name of ['genres.csv', 'fantasy.csv', 'book_genres.csv']) {
    const f = path.join(dir, name);
    if (existsSync(f)) {
      const rows = readCsv(f);
      const key = Object.keys(rows[0]).find((k) => /genre/i.test(k));
      if (key) return rows.filter((r) => /fantasy/i.test(r[key])).map((r) => r.book_id);
      return rows.map((r) => r.book_id);
    }
  }
  for (const name of ['genres.json', 'fixture.json', 'meta.json']) {
    const f = path.join(dir, name);
    if (existsSync(f)) {
      const j = JSON.parse(readFileSync(f, 'utf8'));
      const list = j.fantasy || j.genres?.fantasy || j.fantasy_books;
      if (Array.isArray(list)) return list.map(String);
      if (j.genres && typeof j.genres === 'object') {
        return Object.entries(j.genres).filter(([, g]) => /fantasy/i.test(String(g))).map(([id]) => id);
      }
    }
  }
  const books = readCsv(path.join(dir, 'books.csv'));
  const key = Object.keys(books[0]).find((k) => /genre/i.test(k));
  if (key) return books.filter((b) => /fantasy/i.test(b[key])).map((b) => b.book_id);
  // the title or a tag names the genre
  return books.filter((b) => /fantasy/i.test(Object.values(b).join(' '))).map((b) => b.book_id);
}

for (const variant of VARIANTS) {
  describe(`wasm module (${variant} build)`, { skip }, () => {
    let br;
    let model;
    let users;
    let books;

    before(async () => {
      br = await loadVariant(variant);
      model = await br.Model.load(fx.itemsBytes);
      await model.loadUsers(fx.usersBytes);
      users = [...new Set(fx.ratings.map((r) => r.user_id))];
      books = [...new Set(fx.ratings.map((r) => r.book_id))];
    });
    after(() => model?.free());

    test('the right build and kernels are in use', () => {
      assert.equal(br.simd, variant === 'simd');
      assert.equal(br.kernel, variant === 'simd' ? 'wasm-simd128' : 'scalar');
    });

    test('catalogue and users come from the exported files', () => {
      assert.equal(model.nItems, model.itemIds.length);
      assert.ok(model.nItems > 0);
      for (const b of books.slice(0, 50)) assert.ok(model.itemIds.includes(b), `book ${b} missing from itemIds`);
      assert.equal(model.nUsers, users.length);
      assert.equal(model.hasUsers(), true);
      assert.equal(model.arch, 'seed');
    });

    test('predictions equal the native CLI within 1e-4 on >= 1,000 pairs', () => {
      const r = rng(7);
      const pairs = [];
      for (let j = 0; j < 1200; j++) {
        pairs.push([users[Math.floor(r() * users.length)], books[Math.floor(r() * books.length)]]);
      }
      const ours = model.predict(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
      assert.equal(ours.length, pairs.length);
      // the CLI predicts from the trained model; the module loaded its F32 export
      const theirs = cliPredict(['--model', fx.model], pairs, fx.tmp);
      assert.equal(theirs.length, pairs.length, 'the CLI predicted a different number of pairs');
      let worst = 0;
      for (let j = 0; j < pairs.length; j++) {
        assert.ok(Number.isFinite(ours[j]), `pair ${j}: ${ours[j]}`);
        worst = Math.max(worst, Math.abs(ours[j] - theirs[j]));
      }
      assert.ok(worst <= 1e-4, `max |wasm - CLI| = ${worst}`);
      // and they are not all the same number
      assert.ok(new Set(Array.from(ours, (x) => x.toFixed(4))).size > 10, 'predictions are nearly constant');
    });

    test('recommendUser agrees with predict and scoreState', () => {
      const u = users[3];
      const top = model.recommendUser(u, { k: 5 });
      assert.equal(top.length, 5);
      for (let j = 1; j < top.length; j++) assert.ok(top[j - 1].score >= top[j].score, 'not sorted');
      const p = model.predict(top.map(() => u), top.map((t) => t.id));
      top.forEach((t, j) => assert.ok(Math.abs(t.score - p[j]) < 1e-4, `${t.score} vs ${p[j]}`));
      const scores = model.scoreState(model.userState(u));
      assert.equal(scores.length, model.nItems);
      const best = Math.max(...scores);
      assert.ok(Math.abs(best - top[0].score) < 1e-5);
    });

    test('top-k leaves out the excluded books, everywhere', () => {
      const u = users[0];
      const full = model.recommendUser(u, { k: 20 });
      const exclude = full.slice(0, 5).map((x) => x.id);
      const rest = model.recommendUser(u, { k: 15, exclude });
      for (const x of rest) assert.ok(!exclude.includes(x.id), `excluded ${x.id} came back`);
      assert.deepEqual(rest.map((x) => x.id), full.slice(5).map((x) => x.id));

      const state = model.foldIn(exclude.map((id) => [id, 5]));
      const rs = model.recommendState(state, { k: 30, exclude });
      assert.equal(rs.length, 30);
      for (const x of rs) assert.ok(!exclude.includes(x.id));

      const sim = model.similar(books[0], { k: 10, exclude: exclude.concat([books[1]]) });
      assert.equal(sim.length, 10);
      for (const x of sim) {
        assert.notEqual(x.id, books[0], 'a book is not similar to itself');
        assert.ok(![...exclude, books[1]].includes(x.id));
      }
    });

    test('k larger than the catalogue returns every eligible book; bad k throws', () => {
      const u = users[1];
      const exclude = [books[0], books[1], books[2]];
      const all = model.recommendUser(u, { k: model.nItems + 100, exclude });
      assert.equal(all.length, model.nItems - 3);
      assert.equal(new Set(all.map((x) => x.id)).size, all.length);
      const sim = model.similar(books[0], { k: 1e6 });
      assert.equal(sim.length, model.nItems - 1);
      for (const k of [0, -1, 1.5, NaN, Infinity, '3', null]) {
        throwsError(() => model.recommendUser(u, { k }), /k/, `k = ${k}`);
        throwsError(() => model.similar(books[0], { k }), /k/, `similar k = ${k}`);
      }
    });

    test('unknown ids throw naming the id', () => {
      throwsError(() => model.similar('no-such-book'), /no-such-book/, 'similar');
      throwsError(() => model.foldIn([['no-such-book', 4]]), /no-such-book/, 'foldIn');
      throwsError(() => model.recommendUser(users[0], { exclude: ['nope-1'] }), /nope-1/, 'exclude');
      throwsError(() => model.recommendUser('no-such-user'), /no-such-user/, 'recommendUser');
      throwsError(() => model.predict(['no-such-user'], [books[0]]), /no-such-user/, 'predict user');
      throwsError(() => model.predict([users[0]], ['nb']), /nb/, 'predict book');
      throwsError(() => model.predict([users[0]], []), /1 user ids but 0/, 'predict lengths');
    });

    test('NaN and out-of-range ratings throw', () => {
      for (const bad of [NaN, 0, 6, -1, 5.5, Infinity, '4', null]) {
        throwsError(() => model.foldIn([[books[0], 4], [books[1], bad]]), /rating/, `rating ${bad}`);
      }
      throwsError(() => model.foldIn('abc'), /pairs/, 'not pairs');
      throwsError(() => model.foldIn([[books[0]]]), /pair/, 'short pair');
      throwsError(() => model.recommendState(new Float32Array(3)), /state/, 'short state');
      const s = model.foldIn([[books[0], 4]]);
      s[0] = NaN;
      throwsError(() => model.recommendState(s), /state/, 'NaN state');
    });

    test('empty, corrupt, truncated and wrong buffers throw readable Errors', async () => {
      const good = fx.itemsBytes;
      await rejectsError(br.Model.load(new ArrayBuffer(0)), null, 'empty');
      await rejectsError(br.Model.load(new Uint8Array(100).fill(7)), null, 'garbage');
      const corrupt = Uint8Array.from(good);
      for (let j = 0; j < 8; j++) corrupt[Math.floor(corrupt.length / 2) + j * 13] ^= 0x5a;
      await rejectsError(br.Model.load(corrupt), null, 'corrupt');
      for (const cut of [1, 4, 8, 16, 32, 64, Math.floor(good.length / 2), good.length - 1]) {
        await rejectsError(br.Model.load(good.subarray(0, cut)), null, `truncated at ${cut}`);
      }
      await rejectsError(br.Model.load('not bytes'), /ArrayBuffer/, 'string');
      await rejectsError(br.Model.load(null), /ArrayBuffer/, 'null');
      // the users part is not an items file and vice versa
      const m2 = await br.Model.load(good);
      try {
        assert.equal(m2.hasUsers(), false);
        throwsError(() => m2.recommendUser(users[0]), /loadUsers/, 'users not loaded');
        await rejectsError(m2.loadUsers(good.subarray(0, 10)), null, 'truncated users');
        await rejectsError(m2.loadUsers(new ArrayBuffer(0)), null, 'empty users');
        await m2.loadUsers(fx.usersBytes);
        assert.equal(m2.hasUsers(), true);
      } finally {
        m2.free();
      }
      throwsError(() => m2.similar(books[0]), /freed/, 'after free');
    });

    test('C error messages come through', async () => {
      const e = await rejectsError(br.Model.load(fx.itemsBytes.subarray(0, 40)), null, 'truncated');
      assert.match(e.message, /^Model\.load: /);
      assert.match(e.message, /expected|truncated|bytes|got/i, e.message);
    });

    test('non-finite weights are refused with the C message naming tensor and row', async () => {
      const row = 12;
      for (const [bad, name] of [[NaN, 'NaN'], [Infinity, '\\+Inf'], [-Infinity, '-Inf']]) {
        // the F32 export: one value of item_emb
        const f32 = patchTensor(fx.itemsBytes, 'item_emb', (v, off, dtype, cols) => {
          assert.equal(dtype, 0);
          v.setFloat32(off + 4 * (row * cols + 1), bad, true);
        });
        const e = await rejectsError(br.Model.load(f32), /tensor "item_emb" row 12 holds a non-finite value/, `F32 ${bad}`);
        assert.match(e.message, new RegExp(`^Model\\.load: .*\\(${name} at column 1\\)`), e.message);
        // the shipped Q8 export: row 12's scale
        const q8 = patchTensor(fx.shipped.itemsBytes, 'item_emb', (v, off, dtype) => {
          assert.equal(dtype, 2);
          v.setFloat32(off + 4 * row, bad, true);
        });
        await rejectsError(br.Model.load(q8), /tensor "item_emb" row 12 holds a non-finite value \(Q8 row scale/, `Q8 scale ${bad}`);
      }
      // the users part: refused by loadUsers, and the model stays without users
      const m2 = await br.Model.load(fx.itemsBytes);
      try {
        const users2 = patchTensor(fx.usersBytes, 'user_emb', (v, off, dtype, cols) => v.setFloat32(off + 4 * (3 * cols), NaN, true));
        await rejectsError(m2.loadUsers(users2), /^loadUsers: .*tensor "user_emb" row 3 holds a non-finite value/, 'users NaN');
        assert.equal(m2.hasUsers(), false);
        await m2.loadUsers(fx.usersBytes);
        assert.equal(m2.hasUsers(), true);
      } finally {
        m2.free();
      }
    });

    test('the module keeps working after errors', () => {
      const before = model.recommendUser(users[2], { k: 10 });
      for (let j = 0; j < 50; j++) {
        try { model.foldIn([[books[0], NaN]]); } catch { /* expected */ }
        try { model.similar('x', { k: 3 }); } catch { /* expected */ }
      }
      assert.deepEqual(model.recommendUser(users[2], { k: 10 }), before);
    });

    test('fold-in of a fantasy-only reader ranks fantasy books higher', () => {
      const fantasy = fantasyBooks(fx.data).filter((id) => model.itemIds.includes(id));
      assert.ok(fantasy.length >= 10, `the fixture should record fantasy books (found ${fantasy.length})`);
      const isFantasy = new Set(fantasy);
      const rated = fantasy.slice(0, 8);
      const eligible = model.nItems - rated.length;
      const fantasyLeft = fantasy.length - rated.length;
      const ranks = (state) => {
        const list = model.recommendState(state, { k: model.nItems, exclude: rated });
        assert.equal(list.length, eligible);
        let sum = 0;
        list.forEach((x, rank) => { if (isFantasy.has(x.id)) sum += rank; });
        return { mean: sum / fantasyLeft, top10: list.slice(0, 10).filter((x) => isFantasy.has(x.id)).length };
      };
      // before: a reader the model knows nothing about (the zero state, where the site starts a new reader)
      const fan = model.foldIn(rated.map((id) => [id, 5]));
      const before = ranks(new Float32Array(fan.length));
      const after = ranks(fan);
      // fantasy must move up by at least a tenth of the catalogue, and fill more of the top 10 than chance
      assert.ok(after.mean < before.mean - eligible / 10,
        `mean rank of fantasy books: ${after.mean.toFixed(1)} after fold-in vs ${before.mean.toFixed(1)} before`);
      const chance = (10 * fantasyLeft) / eligible;
      assert.ok(after.top10 > chance, `${after.top10} fantasy books in the top 10 (chance: ${chance.toFixed(1)})`);
    });

    test('results stay right when wasm memory grows', async () => {
      const u = users.slice(0, 30);
      const b = books.slice(0, 30);
      const ref = model.predict(u, b);
      const refTop = model.recommendUser(users[5], { k: 10 });
      const many = [];
      try {
        // 32 MB of initial memory: enough copies of the model (with their book-side caches) to outgrow it
        for (let j = 0; j < 400; j++) {
          const m = await br.Model.load(fx.itemsBytes);
          many.push(m);
          if (j % 50 === 49) assert.deepEqual(m.similar(books[0], { k: 5 }), model.similar(books[0], { k: 5 }));
        }
        assert.deepEqual(model.predict(u, b), ref);
        assert.deepEqual(model.recommendUser(users[5], { k: 10 }), refTop);
        // a large request must be served or refused with an Error, not trap
        const big = new Uint8Array(64 << 20);
        big.set(fx.itemsBytes.subarray(0, 64));
        await rejectsError(br.Model.load(big), null, '64 MB of zeros after a valid header');
      } finally {
        for (const m of many) m.free();
      }
      assert.deepEqual(model.predict(u, b), ref);
    });

    test('the shipped (Q8) export loads and agrees with the F32 one', async () => {
      const m16 = await br.Model.load(fx.shipped.itemsBytes);
      try {
        assert.ok(fx.shipped.itemsBytes.length < fx.itemsBytes.length, 'Q8 file is not smaller');
        assert.deepEqual(m16.itemIds, model.itemIds);
        await m16.loadUsers(fx.shipped.usersBytes);
        const u = users.slice(0, 40);
        const b = books.slice(0, 40);
        const p16 = m16.predict(u, b);
        const p32 = model.predict(u, b);
        for (let j = 0; j < u.length; j++) assert.ok(Math.abs(p16[j] - p32[j]) < 0.02, `${p16[j]} vs ${p32[j]}`);
        const pairs = books.slice(0, 5).map((id) => [id, 4]);
        const s16 = m16.recommendState(m16.foldIn(pairs), { k: 5 });
        assert.equal(s16.length, 5);
      } finally {
        m16.free();
      }
    });
  });
}
