"""Options of the differential fuzzer (tests/fuzz/test_fuzz.py).

    --fuzz-seconds N   time budget of test_fuzz_programs (default 60; env NBTENSOR_FUZZ_SECONDS)
    --fuzz-seed S      first seed (default 0); seeds S, S+1, ... run until the budget is spent

The options are registered when pytest starts from this directory or a file in it
(``pytest tests/fuzz ...``); started elsewhere, the defaults apply.
"""


def pytest_addoption(parser):
    group = parser.getgroup("fuzz", "nbtensor differential fuzzer")
    group.addoption("--fuzz-seconds", type=float, default=None,
                    help="time budget of the fuzzer in seconds (default 60)")
    group.addoption("--fuzz-seed", type=int, default=None,
                    help="first seed of the fuzzer (default 0)")
