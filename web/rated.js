// Reads `rated.bin`, the compact list of the books each dataset reader rated, which the site needs to
// leave those books out of that reader's recommendations. tools/build-site.mjs writes it from the
// ratings CSV; this module only decodes it. Loaded together with the users part of the model, only
// when the dataset-reader panel is used.
//
// Format (little-endian): "BKRD", u32 version (1), u32 n_users, u32 n_items, u32 ids_bytes,
// u32 data_bytes, u32 offsets[n_users + 1] (byte offsets into data), ids (UTF-8, one user id per line,
// ids_bytes long), data. A user's entry is the dense indices (model item order) of the books they
// rated, ascending, each written as an unsigned LEB128 varint of (delta * 16 + code), where delta is
// the gap from the previous index (the first gap is from -1, so delta >= 1) and code is the rating
// times two (0 when it does not fit in 1..15).

const MAGIC = 0x44524b42; // "BKRD" read as a little-endian u32

// Decodes the file; returns { nItems, get(userId) -> {items: Int32Array, ratings: Float32Array}|null, size,
// ids (the user ids in file order) }.
// Throws an Error naming what is wrong when the bytes are not a valid rated-list file.
export function decodeRated(buffer) {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  if (bytes.length < 24) throw new Error(`rated.bin: expected at least 24 bytes, got ${bytes.length}`);
  if (view.getUint32(0, true) !== MAGIC) throw new Error('rated.bin: bad magic, expected "BKRD"');
  const version = view.getUint32(4, true);
  if (version !== 1) throw new Error(`rated.bin: expected version 1, got ${version}`);
  const nUsers = view.getUint32(8, true);
  const nItems = view.getUint32(12, true);
  const idsBytes = view.getUint32(16, true);
  const dataBytes = view.getUint32(20, true);
  const offStart = 24;
  const idsStart = offStart + 4 * (nUsers + 1);
  const dataStart = idsStart + idsBytes;
  const expected = dataStart + dataBytes;
  if (expected !== bytes.length) throw new Error(`rated.bin: expected ${expected} bytes, got ${bytes.length}`);
  const offsets = new Uint32Array(nUsers + 1);
  for (let u = 0; u <= nUsers; u++) {
    offsets[u] = view.getUint32(offStart + 4 * u, true);
    if (offsets[u] > dataBytes || (u > 0 && offsets[u] < offsets[u - 1])) throw new Error(`rated.bin: bad offset for user ${u}`);
  }
  const ids = new TextDecoder().decode(bytes.subarray(idsStart, dataStart)).split('\n');
  if (ids.length !== nUsers) throw new Error(`rated.bin: expected ${nUsers} user ids, got ${ids.length}`);
  const index = new Map();
  ids.forEach((id, u) => index.set(id, u));

  function get(userId) {
    const u = index.get(String(userId));
    if (u === undefined) return null;
    const items = [];
    const ratings = [];
    let pos = dataStart + offsets[u];
    const end = dataStart + offsets[u + 1];
    let prev = -1;
    while (pos < end) {
      let value = 0;
      let mul = 1;
      for (;;) {
        if (pos >= end) throw new Error(`rated.bin: truncated entry for user ${userId}`);
        const b = bytes[pos++];
        value += (b & 0x7f) * mul;
        if (b < 0x80) break;
        mul *= 128;
        if (mul > 2 ** 35) throw new Error(`rated.bin: varint too long for user ${userId}`);
      }
      const code = value % 16;
      const item = prev + Math.floor(value / 16);
      if (item <= prev || item >= nItems) throw new Error(`rated.bin: item index out of range for user ${userId}`);
      items.push(item);
      ratings.push(code / 2);
      prev = item;
    }
    return { items: Int32Array.from(items), ratings: Float32Array.from(ratings) };
  }
  return { nItems, size: nUsers, get, ids };
}
