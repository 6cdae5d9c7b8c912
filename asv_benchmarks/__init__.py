"""The benchmarks (asv, and the side-by-side scripts in benchmarks/)."""
