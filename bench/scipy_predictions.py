#!/usr/bin/python3
"""The anchor of bench/predictions.sh: a straightforward SciPy fit of the same
customers, as lifetimes fits them: BG/NBD and Gamma-Gamma by Nelder-Mead
over the logs of the parameters, the likelihood summed over one row per
customer (numpy vectorised), no grouping.

    scipy_predictions.py SUMMARY.tsv    (x, t_x, T, repeat_spend per line)

Prints one line of key=value: the fits and the seconds the two fits took
(reading the file is not counted).
"""
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln


def bgnbd_negative_ll(logs, x, t_x, T):
    r, alpha, a, b = np.exp(logs)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    # b + (x - 1), not b + x - 1: for x = 1 and a tiny b the latter rounds to 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(b + (x - 1)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return -np.sum(a1 + a2 + np.logaddexp(a3, a4))


def gamma_gamma_negative_ll(logs, x, m):
    p, q, v = np.exp(logs)
    px = p * x
    return -np.sum(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(m)
                   + px * np.log(x) - (px + q) * np.log(v + m * x))


def main():
    data = np.loadtxt(sys.argv[1], delimiter="\t", ndmin=2,
                      converters={3: lambda s: float(s) if s not in (b"NULL", "NULL", b"\\N", "\\N") else 0.0})
    x, t_x, T, m = data[:, 0], data[:, 1], data[:, 2], data[:, 3]
    started = time.perf_counter()
    bg = minimize(bgnbd_negative_ll, np.log([1.0, 30.0, 1.0, 1.0]), args=(x, t_x, T), method="Nelder-Mead",
                  options={"maxiter": 20000, "maxfev": 20000, "xatol": 1e-8, "fatol": 1e-8})
    repeat = (x > 0) & (m > 0)
    gg = minimize(gamma_gamma_negative_ll, np.log([1.0, 2.0, max(m[repeat].mean(), 1.0)]), args=(x[repeat], m[repeat]),
                  method="Nelder-Mead", options={"maxiter": 20000, "maxfev": 20000, "xatol": 1e-8, "fatol": 1e-8})
    seconds = time.perf_counter() - started
    r, alpha, a, b = np.exp(bg.x)
    p, q, v = np.exp(gg.x)
    print(f"customers={len(x)} fit_s={seconds:.3f} evaluations={bg.nfev + gg.nfev} r={r:.6g} alpha={alpha:.6g} "
          f"a={a:.6g} b={b:.6g} ll={-bg.fun:.6f} p={p:.6g} q={q:.6g} gamma={v:.6g}")


if __name__ == "__main__":
    main()
