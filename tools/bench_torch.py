#!/usr/bin/python3
"""bench_torch.py - the PyTorch side of `npm run bench:train`.

Trains the tutorial's network (book and user Embedding(15) -> concatenate -> Dense(128, ReLU) ->
Dense(1, ReLU); Adam lr 1e-3, betas 0.9/0.999, eps 1e-7; MSE; batch 64) with Debian's PyTorch on
2 threads, and prints one JSON object with the figures tools/bench-train.mjs compares with bookrec:
CSV parse seconds, seconds per epoch, total training seconds, test RMSE after every epoch.

Two ways to get the data:
  --train FILE --test FILE   bookrec's own 80/20 split, written by bench-train.mjs (preferred), or
  --ratings FILE             the raw ratings CSV: duplicates merged keeping the last, then a seeded
                             80/20 shuffle split of our own (same sizes, not the same rows as bookrec).
Columns are found by header name (user_id, book_id, rating). This is a benchmark helper, not part of
bookrec; peak memory is measured from outside (/usr/bin/time) by the caller.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch


def read_csv(path):
    """Reads a numeric ratings CSV into (users, items, ratings) arrays by header name."""
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nl = data.index(b"\n")
    header = data[:nl].decode().strip().split(",")
    body = data[nl + 1:].replace(b"\r", b"").replace(b"\n", b",")
    flat = np.array(body.split(b",")[:-1] if body.endswith(b",") else body.split(b","), dtype=np.float64)
    cols = len(header)
    if flat.size % cols:
        sys.exit(f"{path}: ragged rows")
    table = flat.reshape(-1, cols)
    u = table[:, header.index("user_id")].astype(np.int64)
    i = table[:, header.index("book_id")].astype(np.int64)
    r = table[:, header.index("rating")].astype(np.float32)
    return u, i, r


def dedup_keep_last(u, i, r):
    """Merges repeated (user, book) pairs keeping the last occurrence, in file order."""
    key = u * (int(i.max()) + 1) + i
    rev = key[::-1]
    _, first_in_rev = np.unique(rev, return_index=True)
    keep = np.sort(len(key) - 1 - first_in_rev)
    return u[keep], i[keep], r[keep]


class Tutorial(torch.nn.Module):
    """The tutorial's network: [book; user] embeddings -> Dense(128, ReLU) -> Dense(1, ReLU)."""

    def __init__(self, n_users, n_items, dim=15, hidden=128):
        super().__init__()
        self.book = torch.nn.Embedding(n_items, dim)
        self.user = torch.nn.Embedding(n_users, dim)
        torch.nn.init.uniform_(self.book.weight, -0.05, 0.05)  # Keras' default embedding init
        torch.nn.init.uniform_(self.user.weight, -0.05, 0.05)
        self.fc1 = torch.nn.Linear(2 * dim, hidden)
        self.fc2 = torch.nn.Linear(hidden, 1)
        for fc in (self.fc1, self.fc2):  # Keras: Glorot-uniform kernels, zero biases
            torch.nn.init.xavier_uniform_(fc.weight)
            torch.nn.init.zeros_(fc.bias)

    def forward(self, u, i):
        x = torch.cat([self.book(i), self.user(u)], dim=1)
        return torch.relu(self.fc2(torch.relu(self.fc1(x)))).squeeze(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train")
    ap.add_argument("--test")
    ap.add_argument("--ratings")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    t0 = time.perf_counter()
    if a.train and a.test:
        tu, ti, tr = read_csv(a.train)
        vu, vi, vr = read_csv(a.test)
        split = "bookrec"
    elif a.ratings:
        u, i, r = dedup_keep_last(*read_csv(a.ratings))
        perm = np.random.default_rng(a.seed).permutation(len(u))
        n_test = int(round(len(u) * 0.2))
        te, trn = perm[:n_test], perm[n_test:]
        tu, ti, tr, vu, vi, vr = u[trn], i[trn], r[trn], u[te], i[te], r[te]
        split = "own-seeded-80/20"
    else:
        sys.exit("give --train and --test, or --ratings")
    parse_s = time.perf_counter() - t0

    # dense indices over both parts (ids unseen in training keep their random initial embedding)
    users, uinv = np.unique(np.concatenate([tu, vu]), return_inverse=True)
    items, iinv = np.unique(np.concatenate([ti, vi]), return_inverse=True)
    n = len(tu)
    tu_t, vu_t = torch.from_numpy(uinv[:n]), torch.from_numpy(uinv[n:])
    ti_t, vi_t = torch.from_numpy(iinv[:n]), torch.from_numpy(iinv[n:])
    tr_t, vr_t = torch.from_numpy(tr), torch.from_numpy(vr)

    model = Tutorial(len(users), len(items))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = torch.nn.MSELoss()
    epochs = []
    t_train = time.perf_counter()
    for ep in range(1, a.epochs + 1):
        t1 = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        for s in range(0, n, a.batch):
            idx = perm[s:s + a.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(tu_t[idx], ti_t[idx]), tr_t[idx])
            loss.backward()
            opt.step()
        sec = time.perf_counter() - t1
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(vu_t[s:s + 65536], vi_t[s:s + 65536]) for s in range(0, len(vu_t), 65536)])
            rmse = float(torch.sqrt(torch.mean((pred - vr_t) ** 2)))
        epochs.append({"epoch": ep, "seconds": sec, "test_rmse": rmse})
        print(f"torch epoch {ep}: {sec:.2f} s, test RMSE {rmse:.4f}", file=sys.stderr, flush=True)
    train_s = time.perf_counter() - t_train
    print(json.dumps({
        "torch_version": torch.__version__, "threads": a.threads, "split": split,
        "n_train": int(n), "n_test": int(len(vu)), "parse_seconds": parse_s,
        "train_seconds": train_s, "epochs": epochs,
        "test_rmse": epochs[-1]["test_rmse"] if epochs else None,
    }))


if __name__ == "__main__":
    main()
