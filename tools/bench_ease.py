"""bench_ease.py - the numpy side of `npm run bench:train`'s EASE row: the textbook EASE (Steck 2019) on
the rows tools/bench_ease.c wrote (user,item,rating as dense indices): G = X^T X of the binary who-rated-what
matrix, P = inv(G + lambda I), B = -P / diag(P) with a zero diagonal. Prints one JSON line with the seconds
and the largest difference from bookrec's rows of B. Run by tools/bench-train.mjs with /usr/bin/python3."""
import argparse
import json
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--triples', required=True)
    ap.add_argument('--rows', required=True, help="bookrec's first rows of B (float32)")
    ap.add_argument('--n-rows', type=int, required=True)
    ap.add_argument('--items', type=int, required=True)
    ap.add_argument('--lam', type=float, default=300.0)
    ap.add_argument('--dtype', default='float64')
    a = ap.parse_args()
    t0 = time.perf_counter()
    d = np.loadtxt(a.triples, delimiter=',', dtype=np.float64, ndmin=2)
    u, i = d[:, 0].astype(np.int64), d[:, 1].astype(np.int64)
    t_read = time.perf_counter() - t0
    n = a.items
    dt = np.dtype(a.dtype)
    t0 = time.perf_counter()
    order = np.argsort(u, kind='stable')
    u, i = u[order], i[order]
    cuts = np.flatnonzero(np.diff(u)) + 1
    G = np.zeros((n, n), dtype=dt)
    for items in np.split(i, cuts):
        G[np.ix_(items, items)] += 1
    t_gram = time.perf_counter() - t0
    t0 = time.perf_counter()
    G[np.diag_indices(n)] += a.lam
    P = np.linalg.inv(G)
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    t_solve = time.perf_counter() - t0
    ours = np.fromfile(a.rows, dtype=np.float32).reshape(a.n_rows, n)
    diff = float(np.max(np.abs(B[:a.n_rows] - ours)))
    scale = float(np.max(np.abs(B[:a.n_rows])))
    print(json.dumps({'numpy': np.__version__, 'dtype': a.dtype, 'read_seconds': t_read, 'gram_seconds': t_gram,
                      'solve_seconds': t_solve, 'seconds': t_gram + t_solve, 'max_abs_diff': diff,
                      'max_abs_b': scale}))


if __name__ == '__main__':
    main()
