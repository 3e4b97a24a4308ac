"""stats.py - medians, spreads and paired ratios of repeated measurements.

A Series is the list of values one variant produced, one per repetition (or
more: every sample counts). Comparisons are paired: repetition i of variant A
is divided by repetition i of variant B, both measured in the same rotation,
and the median of those ratios is reported, so slow drift of a noisy machine
cancels out instead of landing on whichever variant ran last.
"""
import math


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def summary(xs):
    """{'med', 'min', 'max', 'n'} of the non-None values, or None if empty."""
    v = [x for x in xs if x is not None]
    if not v:
        return None
    return {"med": median(v), "min": min(v), "max": max(v), "n": len(v)}


def paired_ratios(a, b):
    """a[i] / b[i] for every i where both exist and b[i] != 0."""
    return [x / y for x, y in zip(a, b) if x is not None and y not in (None, 0)]


def num(x, digits=None):
    """Human formatting: 3 significant digits, thousands separators."""
    if x is None:
        return "n/a"
    if isinstance(x, int) and digits is None:
        return f"{x:,}"
    if digits is not None:
        return f"{x:,.{digits}f}"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    d = max(0, 2 - mag)
    return f"{x:,.{d}f}"


def fmt(xs, digits=None, scale=1.0):
    """'median [min–max]' of xs (scaled), 'n/a' if empty."""
    s = summary(xs)
    if not s:
        return "n/a"
    if s["n"] == 1 or s["min"] == s["max"]:
        return num(s["med"] * scale, digits)
    return (f"{num(s['med'] * scale, digits)} "
            f"[{num(s['min'] * scale, digits)}–{num(s['max'] * scale, digits)}]")


def fmt_ratio(rs, digits=3):
    """'0.052 [0.049–0.055]' or with a '1/x' hint for small ratios."""
    s = summary(rs)
    if not s:
        return "n/a"
    base = fmt(rs, digits)
    if s["med"] and s["med"] < 0.5:
        base += f" (1/{1 / s['med']:.0f})"
    return base


def percentile(xs, q):
    """The q-th percentile (0-100, nearest rank) of the non-None values, or None."""
    v = sorted(x for x in xs if x is not None)
    if not v:
        return None
    return v[max(0, min(len(v) - 1, math.ceil(q / 100 * len(v)) - 1))]


def cv(xs):
    """Coefficient of variation (population standard deviation / mean), or None."""
    if not xs:
        return None
    m = sum(xs) / len(xs)
    if m == 0:
        return None
    return math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs)) / m
