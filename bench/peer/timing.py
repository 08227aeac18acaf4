"""Timing helper shared by the numpy peers (no import side effects, so peers can set OpenBLAS's environment first)."""
import time


def median_ms(fn, inner, repeats=9):
    """Median milliseconds per call of fn over `repeats` samples of `inner` calls each, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    times.sort()
    return times[len(times) // 2] * 1e3
