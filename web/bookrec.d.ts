// bookrec.d.ts - TypeScript declarations of web/bookrec.js, the JavaScript API of bookrec's WebAssembly
// module: what it exports, every public method and getter of Model, and the shapes of their results.
// It describes the module only; the behaviour is documented in bookrec.js beside each function.
// tests/js/dts.test.mjs checks that this file and bookrec.js name the same exports and methods.

/** Resolves when the right wasm variant is instantiated (loading starts on first use or right after import). */
export declare const ready: Promise<void>;

/** After `ready`: true when the SIMD build is in use. */
export declare let simd: boolean;

/** After `ready`: the C kernel path in use ("wasm-simd128" or "scalar"). */
export declare let kernel: string;

/** Returns true when this engine validates WebAssembly SIMD128. */
export declare function simdSupported(): boolean;

/** Where and how the wasm module is loaded; every key is optional. */
export interface ConfigureOptions {
  /** URL (or, in node, directory path) holding bookrec-simd.mjs/.wasm and bookrec-nosimd.mjs/.wasm. */
  wasmUrlBase?: string | URL | null;
  /** The .wasm bytes of the variant that will be chosen. */
  wasmBinary?: ArrayBuffer | Uint8Array | null;
  /** Use the no-SIMD build even when SIMD is supported. */
  forceNoSimd?: boolean;
}

/** Sets where and how the wasm module is loaded; call before the first use (throws afterwards or on an unknown key). */
export declare function configure(opts?: ConfigureOptions): void;

/** A book id: the dataset's external id (numbers are accepted and converted to strings). */
export type BookId = string | number;

/** A dataset user id: the dataset's external id (numbers are accepted and converted to strings). */
export type UserId = string | number;

/** A reader state, as foldIn and userState return it (stateSize floats). */
export type ReaderState = Float32Array | number[];

/** Options of the top-k calls. */
export interface TopKOptions {
  /** How many books at most (an integer >= 1; default 10). */
  k?: number;
  /** Book ids left out of the result. */
  exclude?: Iterable<BookId>;
}

/** One recommended or similar book. */
export interface Scored {
  id: string;
  /** The model's score (a predicted rating for rating models, a ranking score for top-N models). */
  score: number;
  /** Top-N models' recommendations only: the calibrated match chance (0..1), or null without calibration. */
  match?: number | null;
}

/** One rated book's share of another book's score (explain). */
export interface Contribution {
  id: string;
  contribution: number;
}

/** A tensor copied out of the model (tensors()). */
export interface TensorCopy {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** A loaded model: the book side and network, plus optionally the dataset users' part. */
export declare class Model {
  /** Not for callers: use `await Model.load(bytes)`. */
  private constructor(token: symbol);
  /** Loads a model from the bytes of model-items.bkr (or a full model file); throws Error with the C message. */
  static load(arrayBuffer: ArrayBuffer | ArrayBufferView): Promise<Model>;
  /** Adds the dataset users' part from the bytes of model-users.bkr. */
  loadUsers(arrayBuffer: ArrayBuffer | ArrayBufferView): Promise<void>;
  /** Number of books. */
  get nItems(): number;
  /** Number of dataset users (known even before the users' part is loaded). */
  get nUsers(): number;
  /** External book ids in dense order (frozen array). */
  get itemIds(): readonly string[];
  /** The architecture: "seed", "mf", "ncf" (rating models), "ease" or "ials" (top-N). */
  get arch(): 'seed' | 'mf' | 'ncf' | 'ease' | 'ials' | 'unknown';
  /** "topn" for models that rank books for a reader (scores are not ratings; see match), else "rating". */
  get kind(): 'topn' | 'rating';
  /** Number of floats in a reader state (the length of what foldIn and userState return). */
  get stateSize(): number;
  /** Rating scale [min, max] that foldIn accepts. */
  get ratingRange(): [number, number];
  /** The calibrated chance (0..1) that a book with this ranking score is one the reader reads and rates highly,
   *  or null when the model has no calibration (rating models). */
  match(score: number): number | null;
  /** The weight a top-N model gives a rating when folding a reader in, or null for rating models. */
  ratingWeight(rating: number): number | null;
  /** The rated books that contributed most to a book's score for a reader state, largest first (top-N models). */
  explain(state: ReaderState, bookId: BookId, opts?: { k?: number }): Contribution[];
  /** True when the dataset users' part is loaded. */
  hasUsers(): boolean;
  /** Dense index of a book id; throws for unknown ids. */
  itemIndex(bookId: BookId, what?: string): number;
  /** Dense index of a dataset user id (needs loadUsers); throws for unknown ids. */
  userIndex(userId: UserId): number;
  /** Top-k books for a dataset user (needs loadUsers); excludes only what `exclude` lists. */
  recommendUser(userId: UserId, opts?: TopKOptions): Scored[];
  /** The state of a dataset user (needs loadUsers), usable with recommendState and scoreState. */
  userState(userId: UserId): Float32Array;
  /** Fits a new reader from [[bookId, rating], ...] with the book side frozen; returns the reader's state. */
  foldIn(pairs: Iterable<[BookId, number]>): Float32Array;
  /** Top-k books for a reader state (from foldIn or userState). */
  recommendState(state: ReaderState, opts?: TopKOptions): Scored[];
  /** Scores of every book for a reader state, in dense order (itemIds). */
  scoreState(state: ReaderState): Float32Array;
  /** Top-k books most similar to a book (cosine of book embeddings), the book itself left out (no match field). */
  similar(bookId: BookId, opts?: TopKOptions): Scored[];
  /** Predicted ratings for pairs (userIds[j], bookIds[j]) of dataset users (needs loadUsers). */
  predict(userIds: readonly UserId[], bookIds: readonly BookId[]): Float32Array;
  /** The model's tensors as Float32Array copies, by name, e.g. to rebuild it elsewhere. */
  tensors(): Record<string, TensorCopy>;
  /** Releases the model's WebAssembly memory; later calls throw. */
  free(): void;
}
