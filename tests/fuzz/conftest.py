"""Options of the differential fuzzer (tests/fuzz/test_fuzz.py).

    --fuzz-seconds N   run seeds S, S+1, ... for N seconds (env NBTENSOR_FUZZ_SECONDS); without
                       it, 3000 seeds within at most 120 s (CI's fixed set)
    --fuzz-seed S      first seed (default 0; env NBTENSOR_FUZZ_SEED)

The options are registered when pytest starts from this directory or a file in it
(``pytest tests/fuzz ...``); started elsewhere, the defaults apply.
"""


def pytest_addoption(parser):
    group = parser.getgroup("fuzz", "nbtensor differential fuzzer")
    group.addoption("--fuzz-seconds", type=float, default=None,
                    help="run the fuzzer for this many seconds (default: 3000 seeds, at most 120 s)")
    group.addoption("--fuzz-seed", type=int, default=None,
                    help="first seed of the fuzzer (default 0)")
