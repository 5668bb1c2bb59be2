// bookrec.js - the JavaScript API of bookrec's WebAssembly module, for browsers and node.
//
// It picks the SIMD build when the engine validates a tiny SIMD probe, else the no-SIMD build, and
// wraps the C core (through src/wasm/glue.c) in a small `Model` class: load the book side of a model
// from bytes, optionally the dataset users' part, then recommend for a dataset user, fold a new reader
// in from (book, rating) pairs, recommend for that reader, score every book, find similar books and
// predict ratings. Every call copies its inputs into wasm memory, calls C, copies the results out and
// frees what it allocated; bad input of any kind comes back as a thrown Error (the C message when C
// found the problem), and the module keeps working afterwards. It holds no recommender logic.
//
//   import { ready, Model } from './bookrec.js';
//   const model = await Model.load(await (await fetch('model-items.bkr')).arrayBuffer());
//   const state = model.foldIn([['1', 5], ['2', 4]]);
//   model.recommendState(state, { k: 10, exclude: ['1', '2'] }); // -> [{ id, score }, ...]
//
// Book and user ids are the external ids of the dataset (strings; numbers are accepted and converted).

const SIMD_PROBE = new Uint8Array([
  // a module with one function () -> v128 { i8x16.popcnt(i8x16.splat(0)) }
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62, 0x0b, // code section
]);

const isNode = typeof process === 'object' && !!process.versions && typeof process.versions.node === 'string';

const config = { wasmUrlBase: null, wasmBinary: null, forceNoSimd: false };
let M = null; // the instantiated Emscripten module
let loading = null;
let resolveReady;
let rejectReady;

/** Resolves when the right wasm variant is instantiated (loading starts on first use or right after import). */
export const ready = new Promise((res, rej) => {
  resolveReady = res;
  rejectReady = rej;
});
ready.catch(() => {}); // a failed load is reported by the calls that need the module

/** After `ready`: true when the SIMD build is in use. */
export let simd = false;

/** After `ready`: the C kernel path in use ("wasm-simd128" or "scalar"). */
export let kernel = '';

/** Returns true when this engine validates WebAssembly SIMD128. */
export function simdSupported() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Sets where and how the wasm module is loaded; call before the first use (tests, benchmarks).
 * wasmUrlBase: URL (or, in node, directory path) holding bookrec-simd.mjs/.wasm and bookrec-nosimd.mjs/.wasm;
 * wasmBinary: the .wasm bytes of the variant that will be chosen; forceNoSimd: use the no-SIMD build.
 */
export function configure(opts = {}) {
  if (loading) throw new Error('bookrec: configure() must be called before the module is first used');
  for (const key of Object.keys(opts)) {
    if (!(key in config)) throw new Error(`bookrec: unknown configure option "${key}"`);
    config[key] = opts[key];
  }
}

function start() {
  if (!loading) {
    loading = instantiate().then(
      (mod) => {
        M = mod;
        kernel = M.UTF8ToString(M._bw_kernel_name());
        resolveReady();
      },
      (e) => {
        const err = new Error(`bookrec: could not load the WebAssembly module: ${e && e.message ? e.message : e}`);
        rejectReady(err);
        throw err;
      },
    );
  }
  return loading;
}
// Start right after the importer's synchronous code, so that configure() called just after import wins.
setTimeout(() => start().catch(() => {}), 0);

async function instantiate() {
  simd = !config.forceNoSimd && simdSupported();
  const name = simd ? 'bookrec-simd' : 'bookrec-nosimd';
  let base = config.wasmUrlBase;
  if (isNode) {
    const { pathToFileURL, fileURLToPath } = await import('node:url');
    const fs = await import('node:fs');
    let dir;
    if (base) {
      dir = String(base).startsWith('file:') ? fileURLToPath(base) : String(base);
    } else {
      // next to this file (dist/wasm/), else the build tree of a source checkout
      const here = new URL('./wasm/', import.meta.url);
      const built = new URL('../build-wasm/web/wasm/', import.meta.url);
      dir = fileURLToPath(fs.existsSync(new URL(`${name}.mjs`, here)) ? here : built);
    }
    if (!dir.endsWith('/')) dir += '/';
    const factory = (await import(pathToFileURL(`${dir}${name}.mjs`).href)).default;
    const wasmBinary = config.wasmBinary || fs.readFileSync(`${dir}${name}.wasm`);
    return factory({ wasmBinary });
  }
  const baseUrl = new URL(base || './wasm/', import.meta.url);
  if (!baseUrl.href.endsWith('/')) baseUrl.href += '/';
  const factory = (await import(new URL(`${name}.mjs`, baseUrl).href)).default;
  const opts = { locateFile: (file) => new URL(file, baseUrl).href };
  if (config.wasmBinary) opts.wasmBinary = config.wasmBinary;
  return factory(opts);
}

async function module() {
  await start();
  return M;
}

// ------------------------------------------------------------------ marshalling helpers

function lastError(what) {
  const msg = M.UTF8ToString(M._bw_last_error());
  return new Error(msg ? `${what}: ${msg}` : `${what} failed`);
}

function toBytes(buf, what) {
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  throw new TypeError(`${what}: expected an ArrayBuffer or typed array, got ${buf === null ? 'null' : typeof buf}`);
}

// Allocates n bytes in wasm memory (at least 1, 16-byte aligned by malloc); throws when out of memory.
function alloc(n) {
  const p = M._bw_malloc(Math.max(16, n));
  if (!p) throw new Error(`bookrec: out of WebAssembly memory allocating ${n} bytes`);
  return p;
}

function copyIn(bytes) {
  const p = alloc(bytes.length);
  M.HEAPU8.set(bytes, p);
  return p;
}

function checkK(k, what) {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new RangeError(`${what}: k must be an integer >= 1, got ${String(k)}`);
  }
}

function splitIds(ptr, len) {
  const bytes = M.HEAPU8.slice(ptr, ptr + len);
  const text = new TextDecoder().decode(bytes);
  const ids = text.split('\0');
  ids.pop(); // the buffer ends with a NUL
  return ids;
}

const registry = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((ptr) => { if (M) M._bw_model_free(ptr); })
  : null;

// ------------------------------------------------------------------ the model

/** A loaded model: the book side and network, plus optionally the dataset users' part. */
export class Model {
  #ptr = 0;
  #ids = [];
  #index = new Map();
  #stateSize = 0;
  #minRating = 0;
  #maxRating = 0;

  constructor(token) {
    if (token !== Model.#token) throw new TypeError('bookrec: use `await Model.load(bytes)` to create a Model');
  }

  static #token = Symbol('Model');

  /** Loads a model from the bytes of model-items.bkr (or a full model file); throws Error with the C message. */
  static async load(arrayBuffer) {
    await module();
    const bytes = toBytes(arrayBuffer, 'Model.load');
    const p = copyIn(bytes);
    let ptr;
    try {
      ptr = M._bw_model_load(p, bytes.length);
    } finally {
      M._bw_free(p);
    }
    if (!ptr) throw lastError('Model.load');
    const m = new Model(Model.#token);
    m.#ptr = ptr;
    try {
      if (M._bw_model_prepare(ptr) !== 0) throw lastError('Model.load');
      const lenPtr = alloc(4);
      try {
        const blob = M._bw_item_ids(ptr, lenPtr);
        if (!blob && M._bw_n_items(ptr) > 0) throw lastError('Model.load (item ids)');
        const len = M.HEAP32[lenPtr >> 2];
        m.#ids = blob ? splitIds(blob, len) : [];
        if (blob) M._bw_free(blob);
      } finally {
        M._bw_free(lenPtr);
      }
      if (m.#ids.length !== M._bw_n_items(ptr)) {
        throw new Error(`Model.load: the model has ${M._bw_n_items(ptr)} items but ${m.#ids.length} item ids`);
      }
      m.#ids.forEach((id, i) => m.#index.set(id, i));
      Object.freeze(m.#ids);
      m.#stateSize = M._bw_state_size(ptr);
      m.#minRating = M._bw_min_rating(ptr);
      m.#maxRating = M._bw_max_rating(ptr);
    } catch (e) {
      M._bw_model_free(ptr);
      m.#ptr = 0;
      throw e;
    }
    if (registry) registry.register(m, ptr, m);
    return m;
  }

  #live(what) {
    if (!this.#ptr) throw new Error(`${what}: the model was freed`);
    return this.#ptr;
  }

  /** Adds the dataset users' part from the bytes of model-users.bkr. */
  async loadUsers(arrayBuffer) {
    const ptr = this.#live('loadUsers');
    const bytes = toBytes(arrayBuffer, 'loadUsers');
    const p = copyIn(bytes);
    let rc;
    try {
      rc = M._bw_model_load_users(ptr, p, bytes.length);
    } finally {
      M._bw_free(p);
    }
    if (rc !== 0) throw lastError('loadUsers');
  }

  /** Number of books. */
  get nItems() {
    return this.#ptr ? M._bw_n_items(this.#ptr) : 0;
  }

  /** Number of dataset users (known even before the users' part is loaded). */
  get nUsers() {
    return this.#ptr ? M._bw_n_users(this.#ptr) : 0;
  }

  /** External book ids in dense order (frozen array). */
  get itemIds() {
    return this.#ids;
  }

  /** The architecture: "seed" (the tutorial's network), "mf", "ncf" (rating models), "ease" or "ials" (top-N). */
  get arch() {
    return ['seed', 'mf', 'ncf', 'ease', 'ials'][this.#ptr ? M._bw_arch(this.#ptr) : -1] ?? 'unknown';
  }

  /** "topn" for models that rank books for a reader (scores are not ratings; see match), else "rating". */
  get kind() {
    return this.arch === 'ease' || this.arch === 'ials' ? 'topn' : 'rating';
  }

  /** Number of floats in a reader state (the length of what foldIn and userState return). */
  get stateSize() {
    return this.#stateSize;
  }

  /** The calibrated chance (0..1) that a book with this ranking score is one the reader reads and rates
   *  highly, or null when the model has no calibration (rating models). */
  match(score) {
    const ptr = this.#live('match');
    if (typeof score !== 'number' || !Number.isFinite(score)) throw new RangeError('match: score must be a finite number');
    const p = M._bw_match(ptr, score);
    return Number.isNaN(p) ? null : p;
  }

  /** The weight a top-N model gives a rating when folding a reader in (negative: pushes similar books down). */
  ratingWeight(rating) {
    const ptr = this.#live('ratingWeight');
    if (typeof rating !== 'number' || !Number.isFinite(rating)) throw new RangeError('ratingWeight: rating must be a finite number');
    const w = M._bw_rating_weight(ptr, rating);
    return Number.isNaN(w) ? null : w;
  }

  /** The rated books that contributed most to a book's score for a reader state, largest first:
   *  [{ id, contribution }] with the exact terms w(rating) * B[rated, book] of the score (top-N EASE models). */
  explain(state, bookId, opts = {}) {
    const ptr = this.#live('explain');
    if (opts === null || typeof opts !== 'object') throw new TypeError('explain: options must be an object');
    const { k = 3 } = opts;
    checkK(k, 'explain');
    const j = this.itemIndex(bookId, 'explain');
    const sp = this.#stateIn(state, 'explain');
    const idxPtr = alloc(4 * k);
    const cPtr = alloc(4 * k);
    try {
      const n = M._bw_explain(ptr, sp, j, k, idxPtr, cPtr);
      if (n < 0) throw lastError('explain');
      const idx = M.HEAP32.slice(idxPtr >> 2, (idxPtr >> 2) + n);
      const c = M.HEAPF32.slice(cPtr >> 2, (cPtr >> 2) + n);
      return Array.from(idx, (i, q) => ({ id: this.#ids[i], contribution: c[q] }));
    } finally {
      M._bw_free(sp);
      M._bw_free(idxPtr);
      M._bw_free(cPtr);
    }
  }

  /** Rating scale [min, max] that foldIn accepts. */
  get ratingRange() {
    return [this.#minRating, this.#maxRating];
  }

  /** True when the dataset users' part is loaded. */
  hasUsers() {
    return !!this.#ptr && M._bw_has_users(this.#ptr) === 1;
  }

  /** Dense index of a book id; throws for unknown ids. */
  itemIndex(bookId, what = 'itemIndex') {
    const i = this.#index.get(String(bookId));
    if (i === undefined) throw new RangeError(`${what}: unknown book id "${String(bookId)}"`);
    return i;
  }

  /** Dense index of a dataset user id (needs loadUsers); throws for unknown ids. */
  userIndex(userId) {
    return this.#userIndex(userId, 'userIndex');
  }

  #userIndex(userId, what) {
    const ptr = this.#live(what);
    if (!this.hasUsers()) throw new Error(`${what}: the dataset users' part is not loaded (call loadUsers first)`);
    const s = new TextEncoder().encode(String(userId));
    const p = copyIn(s);
    try {
      const u = M._bw_user_find(ptr, p, s.length);
      if (u < 0) throw new RangeError(`${what}: unknown user id "${String(userId)}"`);
      return u;
    } finally {
      M._bw_free(p);
    }
  }

  #excludeIndices(exclude, what) {
    if (exclude == null) return [];
    if (typeof exclude === 'string' || typeof exclude[Symbol.iterator] !== 'function') {
      throw new TypeError(`${what}: exclude must be an array (or iterable) of book ids`);
    }
    return Array.from(exclude, (id) => this.itemIndex(id, `${what} (exclude)`));
  }

  // Runs a C top-k call `fn(excludePtr, nExclude, k, idxPtr, scorePtr)` and converts its output.
  #topk(what, opts, fn) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${what}: options must be an object`);
    const { k = 10, exclude = [] } = opts;
    checkK(k, what);
    const ex = this.#excludeIndices(exclude, what);
    const kk = Math.min(k, Math.max(1, this.nItems));
    const exPtr = alloc(4 * ex.length);
    const idxPtr = alloc(4 * kk);
    const scorePtr = alloc(4 * kk);
    try {
      M.HEAP32.set(ex, exPtr >> 2);
      const n = fn(exPtr, ex.length, kk, idxPtr, scorePtr);
      if (n < 0) throw lastError(what);
      const idx = M.HEAP32.slice(idxPtr >> 2, (idxPtr >> 2) + n);
      const score = M.HEAPF32.slice(scorePtr >> 2, (scorePtr >> 2) + n);
      const out = new Array(n);
      const topn = this.kind === 'topn' && what !== 'similar';
      for (let i = 0; i < n; i++) {
        out[i] = { id: this.#ids[idx[i]], score: score[i] };
        if (topn) {
          const p = M._bw_match(this.#ptr, score[i]);
          out[i].match = Number.isNaN(p) ? null : p;
        }
      }
      return out;
    } finally {
      M._bw_free(exPtr);
      M._bw_free(idxPtr);
      M._bw_free(scorePtr);
    }
  }

  #stateIn(state, what) {
    if (!(state instanceof Float32Array) && !Array.isArray(state)) {
      throw new TypeError(`${what}: state must be a Float32Array (from foldIn), got ${typeof state}`);
    }
    if (state.length !== this.#stateSize) {
      throw new RangeError(`${what}: state must have ${this.#stateSize} floats, got ${state.length}`);
    }
    for (let i = 0; i < state.length; i++) {
      if (typeof state[i] !== 'number' || !Number.isFinite(state[i])) {
        throw new RangeError(`${what}: state[${i}] is not a finite number`);
      }
    }
    const p = alloc(4 * state.length);
    M.HEAPF32.set(state, p >> 2);
    return p;
  }

  /** Top-k books for a dataset user (needs loadUsers); excludes only what `exclude` lists. */
  recommendUser(userId, opts = {}) {
    const ptr = this.#live('recommendUser');
    const u = this.#userIndex(userId, 'recommendUser');
    return this.#topk('recommendUser', opts, (ex, nex, k, idx, sc) => M._bw_recommend(ptr, u, ex, nex, k, idx, sc));
  }

  /** The state of a dataset user (needs loadUsers), usable with recommendState and scoreState. */
  userState(userId) {
    const ptr = this.#live('userState');
    const u = this.#userIndex(userId, 'userState');
    const p = alloc(4 * this.#stateSize);
    try {
      if (M._bw_user_state(ptr, u, p) !== 0) throw lastError('userState');
      return M.HEAPF32.slice(p >> 2, (p >> 2) + this.#stateSize);
    } finally {
      M._bw_free(p);
    }
  }

  /** Fits a new reader from [[bookId, rating], ...] with the book side frozen; returns the reader's state. */
  foldIn(pairs) {
    const ptr = this.#live('foldIn');
    if (pairs == null || typeof pairs === 'string' || typeof pairs[Symbol.iterator] !== 'function') {
      throw new TypeError('foldIn: expected an array of [bookId, rating] pairs');
    }
    const byItem = new Map(); // a book rated twice keeps its last rating
    let row = 0;
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`foldIn: pair ${row} must be [bookId, rating]`);
      }
      const [id, rating] = pair;
      const i = this.itemIndex(id, `foldIn (pair ${row})`);
      if (typeof rating !== 'number' || !Number.isFinite(rating)) {
        throw new RangeError(`foldIn: rating of book "${String(id)}" must be a finite number, got ${String(rating)}`);
      }
      if (rating < this.#minRating || rating > this.#maxRating) {
        throw new RangeError(
          `foldIn: rating ${rating} of book "${String(id)}" is outside ${this.#minRating}..${this.#maxRating}`);
      }
      byItem.delete(i);
      byItem.set(i, rating);
      row++;
    }
    const n = byItem.size;
    const itemsPtr = alloc(4 * n);
    const ratingsPtr = alloc(4 * n);
    const statePtr = alloc(4 * this.#stateSize);
    try {
      M.HEAP32.set([...byItem.keys()], itemsPtr >> 2);
      M.HEAPF32.set([...byItem.values()], ratingsPtr >> 2);
      if (M._bw_fold_in(ptr, itemsPtr, ratingsPtr, n, statePtr) !== 0) throw lastError('foldIn');
      return M.HEAPF32.slice(statePtr >> 2, (statePtr >> 2) + this.#stateSize);
    } finally {
      M._bw_free(itemsPtr);
      M._bw_free(ratingsPtr);
      M._bw_free(statePtr);
    }
  }

  /** Top-k books for a reader state (from foldIn or userState). */
  recommendState(state, opts = {}) {
    const ptr = this.#live('recommendState');
    const sp = this.#stateIn(state, 'recommendState');
    try {
      return this.#topk('recommendState', opts,
        (ex, nex, k, idx, sc) => M._bw_recommend_state(ptr, sp, ex, nex, k, idx, sc));
    } finally {
      M._bw_free(sp);
    }
  }

  /** Scores of every book for a reader state, in dense order (itemIds). */
  scoreState(state) {
    const ptr = this.#live('scoreState');
    const n = this.nItems;
    const sp = this.#stateIn(state, 'scoreState');
    let out = 0;
    try {
      out = alloc(4 * n);
      if (M._bw_score_all(ptr, sp, out) !== 0) throw lastError('scoreState');
      return M.HEAPF32.slice(out >> 2, (out >> 2) + n);
    } finally {
      M._bw_free(sp);
      if (out) M._bw_free(out);
    }
  }

  /** Top-k books most similar to a book (cosine of book embeddings), the book itself left out. */
  similar(bookId, opts = {}) {
    const ptr = this.#live('similar');
    const i = this.itemIndex(bookId, 'similar');
    return this.#topk('similar', opts, (ex, nex, k, idx, sc) => M._bw_similar(ptr, i, ex, nex, k, idx, sc));
  }

  /** Predicted ratings for pairs (userIds[j], bookIds[j]) of dataset users (needs loadUsers). */
  predict(userIds, bookIds) {
    const ptr = this.#live('predict');
    if (!Array.isArray(userIds) || !Array.isArray(bookIds)) {
      throw new TypeError('predict: expected two arrays (user ids, book ids)');
    }
    if (userIds.length !== bookIds.length) {
      throw new RangeError(`predict: ${userIds.length} user ids but ${bookIds.length} book ids`);
    }
    const n = userIds.length;
    if (!this.hasUsers()) throw new Error("predict: the dataset users' part is not loaded (call loadUsers first)");
    const items = bookIds.map((id, j) => this.itemIndex(id, `predict (pair ${j})`));
    const users = this.#userIndices(userIds);
    const up = alloc(4 * n);
    const ip = alloc(4 * n);
    const op = alloc(4 * n);
    try {
      M.HEAP32.set(users, up >> 2);
      M.HEAP32.set(items, ip >> 2);
      if (M._bw_predict_many(ptr, up, ip, n, op) !== 0) throw lastError('predict');
      return M.HEAPF32.slice(op >> 2, (op >> 2) + n);
    } finally {
      M._bw_free(up);
      M._bw_free(ip);
      M._bw_free(op);
    }
  }

  // Looks many user ids up, caching the dense index of each distinct id for this call.
  #userIndices(userIds) {
    const seen = new Map();
    return userIds.map((id) => {
      const key = String(id);
      let u = seen.get(key);
      if (u === undefined) {
        u = this.#userIndex(key, 'predict');
        seen.set(key, u);
      }
      return u;
    });
  }

  /** The model's tensors as Float32Array copies ({ name: { rows, cols, data } }), e.g. to rebuild it elsewhere. */
  tensors() {
    const ptr = this.#live('tensors');
    const dims = alloc(12);
    const out = {};
    try {
      for (let t = 0; ; t++) {
        const namePtr = M._bw_tensor_info(ptr, t, dims);
        if (!namePtr) break;
        const [rows, cols] = M.HEAP32.slice(dims >> 2, (dims >> 2) + 2);
        const data = M._bw_tensor_data(ptr, t);
        out[M.UTF8ToString(namePtr)] = { rows, cols, data: M.HEAPF32.slice(data >> 2, (data >> 2) + rows * cols) };
      }
    } finally {
      M._bw_free(dims);
    }
    return out;
  }

  /** Releases the model's WebAssembly memory; later calls throw. */
  free() {
    if (this.#ptr) {
      if (registry) registry.unregister(this);
      M._bw_model_free(this.#ptr);
      this.#ptr = 0;
    }
  }
}
