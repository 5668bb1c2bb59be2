// node --test: the WebAssembly module under attack through its JS API. Random, mutated and truncated
// model buffers and random call arguments, for a bounded number of seeded iterations per build: each
// ends in a result or a thrown Error (never a wasm trap, a hang or a non-Error throw), and afterwards
// valid calls give the same answers as before the attack. BOOKREC_WASM_FUZZ_ITERS changes the count.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VARIANTS, wasmMissing, trainFixtureModel, loadVariant, rng } from './wasm-common.mjs';

const skip = wasmMissing();
const ITERS = Number(process.env.BOOKREC_WASM_FUZZ_ITERS) || 2000;
let fx = null;

before(() => {
  if (!skip) fx = trainFixtureModel();
});
after(() => fx?.cleanup());

// Runs fn (sync or async); the outcome must be a value or an Error that is not a wasm trap.
async function outcome(fn, what) {
  try {
    const v = await fn();
    return { ok: true, v };
  } catch (e) {
    assert.ok(e instanceof Error, `${what}: threw a non-Error: ${String(e)}`);
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `${what}: wasm trap: ${e.message}`);
    assert.ok(typeof e.message === 'string' && e.message.length > 0, `${what}: empty message`);
    return { ok: false, e };
  }
}

function mutate(r, good) {
  const b = Uint8Array.from(good);
  const kind = Math.floor(r() * 7);
  switch (kind) {
    case 0: // truncate anywhere
      return b.subarray(0, Math.floor(r() * b.length));
    case 1: { // flip a few bytes
      const n = 1 + Math.floor(r() * 8);
      for (let j = 0; j < n; j++) b[Math.floor(r() * b.length)] ^= 1 + Math.floor(r() * 255);
      return b;
    }
    case 2: { // overwrite a 32-bit field in the first 256 bytes (sizes, counts, offsets) with an extreme value
      const at = Math.floor(r() * Math.min(252, b.length - 4)) & ~3;
      const dv = new DataView(b.buffer);
      const vals = [0, 1, 0x7fffffff, 0xffffffff, 0x80000000, b.length, b.length + 1, 0x10000];
      dv.setUint32(at, vals[Math.floor(r() * vals.length)], true);
      return b;
    }
    case 3: // random bytes
      return Uint8Array.from({ length: Math.floor(r() * 600) }, () => Math.floor(r() * 256));
    case 4: // the valid header followed by random bytes
      return Uint8Array.from(b.subarray(0, 64 + Math.floor(r() * 64)))
        .map((x, j) => (j < 32 ? x : Math.floor(r() * 256)));
    case 5: { // extra bytes appended
      const c = new Uint8Array(b.length + 1 + Math.floor(r() * 32));
      c.set(b);
      return c;
    }
    default: { // a slice from the middle
      const s = Math.floor(r() * b.length);
      return b.subarray(s, s + Math.floor(r() * (b.length - s)));
    }
  }
}

for (const variant of VARIANTS) {
  describe(`wasm module under attack (${variant} build)`, { skip }, () => {
    let br;
    let model;
    let ref;

    before(async () => {
      br = await loadVariant(variant);
      model = await br.Model.load(fx.itemsBytes);
      await model.loadUsers(fx.usersBytes);
      const users = [...new Set(fx.ratings.map((x) => x.user_id))];
      const ids = model.itemIds;
      const pairs = ids.slice(0, 6).map((id, j) => [id, 1 + (j % 5)]);
      ref = {
        users,
        ids,
        pairs,
        user: model.recommendUser(users[0], { k: 10 }),
        state: model.foldIn(pairs),
        similar: model.similar(ids[0], { k: 10 }),
        predict: model.predict(users.slice(0, 20), ids.slice(0, 20)),
      };
    });
    after(() => model?.free());

    test(`random, mutated and truncated model buffers (${Math.round(ITERS / 2)} iterations)`, async (t) => {
      const r = rng(variant === 'simd' ? 1 : 2);
      let loaded = 0;
      const messages = new Map();
      for (let it = 0; it < ITERS / 2; it++) {
        const useUsers = r() < 0.25;
        const buf = mutate(r, useUsers ? fx.usersBytes : fx.itemsBytes);
        if (useUsers) {
          const m = await br.Model.load(fx.itemsBytes);
          try {
            const o = await outcome(() => m.loadUsers(buf), `loadUsers #${it}`);
            if (o.ok) await outcome(() => m.recommendUser(ref.users[0], { k: 3 }), `recommend after users #${it}`);
          } finally {
            m.free();
          }
          continue;
        }
        const o = await outcome(() => br.Model.load(buf), `load #${it}`);
        if (!o.ok) {
          const key = o.e.message.replace(/0x[0-9a-f]+|\d+/gi, 'N').slice(0, 70);
          messages.set(key, (messages.get(key) || 0) + 1);
        }
        if (o.ok) {
          loaded++;
          const m = o.v;
          await outcome(() => m.similar(m.itemIds[0], { k: 5 }), `similar on mutated #${it}`);
          await outcome(() => m.recommendState(m.foldIn([[m.itemIds[0], 5]]), { k: 5 }), `fold on mutated #${it}`);
          m.free();
        }
      }
      t.diagnostic(`${loaded} mutated buffers loaded; ${messages.size} kinds of error, most common:`);
      for (const [k, n] of [...messages].sort((a, b) => b[1] - a[1]).slice(0, 6)) t.diagnostic(`  ${n} x ${k}`);
      // the checksum should reject almost every mutation; appended bytes or a cut at the end may pass
      assert.ok(loaded < ITERS / 4, `${loaded} mutated buffers loaded`);
    });

    test(`random call arguments (${Math.round(ITERS / 2)} iterations)`, async (t) => {
      const r = rng(variant === 'simd' ? 3 : 4);
      const pick = (a) => a[Math.floor(r() * a.length)];
      const n = model.nItems;
      // most arguments are valid (so that calls reach C with unusual but legal values), some hostile
      const mostly = (valid, hostile) => (r() < 0.85 ? valid() : pick(hostile));
      const anyK = () => mostly(() => pick([1, 2, 10, n - 1, n, n + 1, 1e9, 2 ** 31]),
        [0, -1, -1e9, 0.5, NaN, Infinity, '5', null, {}]);
      const anyId = () => mostly(() => ref.ids[Math.floor(r() * n)],
        ['zzz', '', -1, 0, 1e20, null, undefined, {}, [], '\u0000', 'x'.repeat(5000)]);
      const anyUser = () => mostly(() => ref.users[Math.floor(r() * ref.users.length)],
        ['nobody', '', 0, -5, null, {}, 'é'.repeat(100)]);
      const anyRating = () => mostly(() => pick([1, 2, 3, 4, 5, 2.5, 1.0001, 4.9999]),
        [0, 6, NaN, -Infinity, '3', null, 1e30, -0]);
      const anyList = (f) => (r() < 0.03 ? pick([null, undefined, 'abc', 5, {}]) : Array.from({ length: Math.floor(r() * (r() < 0.1 ? n + 5 : 4)) }, f));
      const anyState = () => {
        const s = model.foldIn(ref.pairs);
        const c = r();
        if (c < 0.2) return s.subarray(0, Math.floor(r() * s.length));
        if (c < 0.35) { s[Math.floor(r() * s.length)] = pick([NaN, Infinity, 1e30, -1e30]); return s; }
        if (c < 0.45) return pick([null, undefined, [], 'state', new Float32Array(s.length + 1), Array.from(s)]);
        for (let j = 0; j < s.length; j++) s[j] += (r() - 0.5) * 10;
        return s;
      };
      const ops = [
        () => model.recommendUser(anyUser(), { k: anyK(), exclude: anyList(anyId) }),
        () => model.recommendState(anyState(), { k: anyK(), exclude: anyList(anyId) }),
        () => model.scoreState(anyState()),
        () => model.similar(anyId(), { k: anyK(), exclude: anyList(anyId) }),
        () => model.foldIn(anyList(() => (r() < 0.9 ? [anyId(), anyRating()] : pick([[], [1], 'ab', null, [1, 2, 3]])))),
        () => { const k = Math.floor(r() * 30); return model.predict(Array.from({ length: k }, anyUser), Array.from({ length: k + (r() < 0.1 ? 1 : 0) }, anyId)); },
        () => model.userState(anyUser()),
        () => model.recommendUser(anyUser(), pick([null, 5, 'x', { k: 3 }, undefined])),
      ];
      let results = 0;
      for (let it = 0; it < ITERS / 2; it++) {
        const o = await outcome(pick(ops), `op #${it}`);
        if (o.ok) {
          results++;
          const v = o.v;
          if (Array.isArray(v)) for (const x of v) assert.ok(ref.ids.includes(x.id), `op #${it}: unknown id ${x.id} in result`);
        }
      }
      t.diagnostic(`${results} calls returned a result, ${Math.round(ITERS / 2) - results} threw an Error`);
      assert.ok(results > ITERS / 20, `only ${results} calls succeeded: the generator is too hostile to test results`);
    });

    test('afterwards, valid calls give the same answers as before', () => {
      assert.deepEqual(model.recommendUser(ref.users[0], { k: 10 }), ref.user);
      assert.deepEqual(model.foldIn(ref.pairs), ref.state);
      assert.deepEqual(model.similar(ref.ids[0], { k: 10 }), ref.similar);
      assert.deepEqual(model.predict(ref.users.slice(0, 20), ref.ids.slice(0, 20)), ref.predict);
    });
  });
}
