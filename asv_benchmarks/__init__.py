"""The benchmarks (asv, and the side-by-side scripts in benchmarks/).

torch, when installed, is imported here, before any benchmark imports nbtensor. At import,
nbtensor sets GOMP_SPINCOUNT=2000 for numba's OpenMP threads (backends/cpu/tuning.py). A
torch loaded after that reads it too: its worker threads then fall asleep right after each
parallel op and must be woken for the next. softmax of 256x10 then cost torch 70-110 us a
call in benchmarks/compare_small.py, and a 64x64 mm 200-270 us, against 8-20 us with its
own default (measured on the 2-core development machine). Loaded first, each library runs
with its own default, as in a program that uses only one of them.
"""
try:
    import torch  # noqa: F401
except ImportError:
    pass
