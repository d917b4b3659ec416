#!/usr/bin/env python3
"""decisions.py — do a fitted scenario and the true one agree on the policies?

usage: decisions.py TRUE.json FITTED.json [MAX_RELATIVE_ERROR [MIN_TAU]]

Each file is `dsim run … --format json` of the same policies and seeds on one scenario. Prints each policy's
mean profit in both worlds and their relative difference, then Kendall's τ between the two rankings. Exit
status 0 when τ ≥ MIN_TAU (default 0.8) and every policy's value in the fitted world is within
MAX_RELATIVE_ERROR (default 0.05) of its value in the true one.
"""
import json
import sys


def values(path):
    doc = json.load(open(path))
    return {r["policy"]: r["profit"] for r in doc["rows"] if r["segment"] == "all"}


def kendall_tau(a, b):
    """τ-a over every pair of policies: (concordant − discordant) / pairs."""
    names = list(a)
    concordant = discordant = 0
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            x = (a[names[i]] - a[names[j]]) * (b[names[i]] - b[names[j]])
            concordant += x > 0
            discordant += x < 0
    pairs = len(names) * (len(names) - 1) // 2
    return (concordant - discordant) / pairs


def main():
    true, fitted = values(sys.argv[1]), values(sys.argv[2])
    max_error = float(sys.argv[3]) if len(sys.argv) > 3 else 0.05
    min_tau = float(sys.argv[4]) if len(sys.argv) > 4 else 0.8
    if set(true) != set(fitted):
        sys.exit(f"decisions.py: the two runs have different policies: {sorted(true)} and {sorted(fitted)}")
    ok = True
    print("| policy | profit, true world | profit, fitted world | difference |")
    print("|---|---|---|---|")
    for name in sorted(true, key=true.get, reverse=True):
        error = (fitted[name] - true[name]) / abs(true[name])
        ok &= abs(error) <= max_error
        print(f"| {name} | {true[name]:.0f} | {fitted[name]:.0f} | {100 * error:+.2f} % |")
    tau = kendall_tau(true, fitted)
    ok &= tau >= min_tau
    print(f"\nKendall's τ between the rankings: {tau:.3f} over {len(true)} policies")
    print("the fitted world agrees" if ok else "THE FITTED WORLD DISAGREES")
    sys.exit(0 if ok else 1)


main()
