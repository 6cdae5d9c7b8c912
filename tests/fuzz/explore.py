"""Run the fuzzer for a while and group what it finds (not a test).

    python -m tests.fuzz.explore --seconds 300 --seed 1000 [--json out.json]

Runs seeds seed, seed+1, ... in keep-going mode (a divergence drops the differing
variables and the program goes on), groups the mismatches by kind, operation and
torch's error message, and prints for each group a count and a reduced reproducer.
"""
import argparse
import json
import re
import sys
import time

from .program import _exc_class, format_program, reduce_program, run_seed

_OPS = [(r"\]\s*\+=", "index+="), (r"\]\s*=", "setitem"), (r"(\S)\s*(\*\*|//|[-+*/%&|^])=", "inplace-op"),
        (r"torch\.(\w+)\(", None), (r"\.(\w+)\(", None), (r"\.(mT|T)\b", None),
        (r" (@|\*\*|//|==|!=|<=|>=|[-+*/%&|^<>]) ", "op"), (r"^-|= -", "neg"),
        (r"= ~", "invert"), (r"\[", "getitem")]


def op_of(line):
    body = line.split("; ")[-1]
    body = re.sub(r"^v\d+ = ", "", body)
    for pat, name in _OPS:
        m = re.search(pat, body)
        if m:
            if name == "op":
                return "op" + m.group(1)
            if name == "inplace-op":
                return "op" + m.group(2) + "="
            if name:
                return name
            g = m.group(1)
            if g in ("tensor", "zeros", "ones", "full", "arange") and "out=" not in body:
                continue
            return g + ("(out=)" if "out=" in body else "")
    return "?"


def bucket(m):
    detail = m.detail
    if m.kind in ("nb-accepts", "exc-class", "nb-raises"):
        msg = re.sub(r"\d+", "N", detail.splitlines()[0])[:90]
        return "%s | %s | %s" % (m.kind, op_of(m.line), msg)
    dt = ""
    mm = re.search(r"(bool|uint8|int8|int16|int32|int64|float16|float32|float64)", detail)
    if mm and m.kind == "values":
        dt = mm.group(1)
    return "%s | %s | %s" % (m.kind, op_of(m.line), dt)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    ap.add_argument("--reduce-budget", type=int, default=150)
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    groups = {}
    n = lines_run = 0
    while time.monotonic() - t0 < a.seconds:
        res = run_seed(a.seed + n, keep_going=True)
        n += 1
        lines_run += len(res.lines)
        for m in res.mismatches:
            g = groups.setdefault(bucket(m), {"count": 0, "seeds": [], "example": None})
            g["count"] += 1
            if len(g["seeds"]) < 5:
                g["seeds"].append(res.seed)
            if g["example"] is None:
                g["example"] = (res.lines, m)
    elapsed = time.monotonic() - t0
    print("%d programs (%d lines) in %.0f s: %.1f programs/min; %d groups"
          % (n, lines_run, elapsed, 60 * n / elapsed, len(groups)), flush=True)
    out = []
    for key, g in sorted(groups.items(), key=lambda kv: -kv[1]["count"]):
        lines, m = g["example"]
        rl, rm, rexcs = reduce_program(lines, m, a.reduce_budget, keep_going=True)
        text = format_program(rl, rexcs, rm or m) if rm else "\n".join(lines[:m.line_no + 1])
        detail = (rm or m).detail
        print("=" * 88)
        print("[%d] %s   seeds %s" % (g["count"], key, g["seeds"]))
        print(text)
        print("#", detail.replace("\n", "\n# "))
        sys.stdout.flush()
        out.append({"key": key, "count": g["count"], "seeds": g["seeds"],
                    "program": text, "detail": detail})
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"programs": n, "seconds": elapsed, "groups": out}, f, indent=1)


if __name__ == "__main__":
    main()
