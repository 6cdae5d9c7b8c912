"""Run the fuzzer for a while and group what it finds (not a test).

    python -m tests.fuzz.explore --seconds 300 --seed 1000 [--json out.json]

Runs seeds seed, seed+1, ... in keep-going mode (a divergence drops the differing
variables and the program goes on), sorts the mismatches into the coarse CATEGORIES
below (and within each by kind, operation and torch's error message), and prints for
each class a count and reduced reproducers.
"""
import argparse
import json
import re
import sys
import time

from .program import format_program, known_divergence, reduce_program, run_seed

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


# Coarse classes of mismatches (first match wins): (name, kinds, regex on line, regex on
# detail). Used only to count and to pick examples; a mismatch matching none is "other".
CATEGORIES = [
    ("out= partial writes by torch before it raises / nbtensor leaves inputs unchanged",
     ("values",), r"", r"__TORCH_RAISED__"),
    ("failed out= call: nbtensor resizes out although the call fails", ("shape",), r"out=",
     r"torch kept its shape.*__TORCH_RAISED__"),
    ("failed out= call: torch resizes out before it fails, nbtensor keeps it (SPEC 13)",
     ("shape",), r"out=", r"nbtensor kept its shape.*__TORCH_RAISED__"),
    ("out= into a view of another shape: writes do not reach the view's base / aliases",
     ("values", "sharing", "shape"), r"out=", r""),
    ("cumsum/cumprod of a 0-d tensor returns shape (1,)", ("shape",), r"cum(sum|prod)", r""),
    ("clamp/clip with a NaN bound", ("values",), r"clamp|clip", r""),
    ("std/var with correction >= N", ("values",), r"\b(std|var)\(", r""),
    ("sign of -inf/nan", ("values",), r"sign", r""),
    ("sign of zero differs", ("values",), r"", r"only the sign of zero"),
    ("accumulation precision (last bits)", ("values",), r"", r"within rounding"),
    ("other wrong values", ("values",), r"", r""),
    ("result dtype differs", ("dtype",), r"", r""),
    ("memory sharing differs", ("sharing",), r"", r""),
    ("object identity differs (t() of a <=1-D tensor returns self)", ("identity",), r"", r""),
    ("strides (memory layout) of a result differ", ("strides",), r"", r""),
    ("other shape differences", ("shape",), r"", r""),
    ("exception class: NotImplementedError (torch, dtype not implemented) vs RuntimeError",
     ("exc-class",), r"", r"NotImplementedError"),
    ("exception class: internal error leaks (IndexError: tuple index, OverflowError)",
     ("exc-class",), r"", r"tuple index out of range|OverflowError|KeyError|AttributeError"),
    ("exception class: empty reduction dim, IndexError (torch) vs RuntimeError",
     ("exc-class",), r"", r"to have non-zero size|input.numel\(\) == 0"),
    ("exception class: other", ("exc-class",), r"", r""),
    ("nbtensor raises: integer pow with negative tensor exponent", ("nb-raises",), r"",
     r"negative integer powers"),
    ("nbtensor raises: alpha checks", ("nb-raises",), r"alpha", r""),
    ("nbtensor raises: reduction over a non-empty dim of an empty tensor", ("nb-raises",),
     r"", r"numel\(\) == 0"),
    ("nbtensor raises: fill_/zero_ on an expanded tensor", ("nb-raises",), r"", r"more than one"),
    ("nbtensor raises: float scalar that overflows float16 in setitem/fill_ (torch stores inf)",
     ("nb-raises",), r"", r"without overflow"),
    ("nbtensor raises: checks on empty tensors that torch skips (nothing to compute)",
     ("nb-raises",), r"", r"not implemented for|expected scalar type|ZeroDivisionError|"
                          r"out of bounds|Dimension out of range"),
    ("nbtensor raises: other", ("nb-raises",), r"", r""),
    ("nbtensor accepts: dtype torch does not implement", ("nb-accepts",), r"",
     r"not implemented for|does not support bool|with a bool tensor|expected dtype .* for `end`"),
    ("nbtensor accepts: Python scalar / keyword torch's signature rejects", ("nb-accepts",),
     r"", r"must be Tensor, not|invalid combination|unexpected keyword"),
    ("nbtensor accepts: Boolean alpha for a non-bool result", ("nb-accepts",), r"",
     r"Boolean alpha"),
    ("nbtensor accepts: scalar that overflows the dtype", ("nb-accepts",), r"",
     r"without overflow"),
    ("nbtensor accepts: in-place/out= overlapping its input", ("nb-accepts",), r"",
     r"unsupported operation"),
    ("nbtensor accepts: out= dtype torch rejects", ("nb-accepts",), r"",
     r"Found dtype|Expected the dtype for input and out|can't be cast to the desired"),
    ("nbtensor accepts: out= that is also an input and would need resizing", ("nb-accepts",),
     r"", r"doesn't match the broadcast shape"),
    ("nbtensor accepts: dim out of range", ("nb-accepts",), r"", r"out of range"),
    ("nbtensor accepts: integer division by zero (scalar wrapped to 0)", ("nb-accepts",), r"",
     r"ZeroDivisionError"),
    ("nbtensor accepts: other", ("nb-accepts",), r"", r""),
]


def category(m):
    detail = m.detail + (" __TORCH_RAISED__" if getattr(m, "torch_raised", False) else "")
    fresh = re.match(r"^(v\d+) = torch\.zeros\((\(.*?\)), dtype", m.line)
    if (m.kind == "shape" and fresh and getattr(m, "torch_raised", False)
            and (m.var or "") == fresh.group(1)):
        # the out= tensor was made on this line: did torch keep the shape it was made with?
        ts = re.search(r": torch (\(.*?\)), nbtensor", m.detail)
        if ts and ts.group(1).replace(",)", ")") == fresh.group(2).replace(",)", ")"):
            return "failed out= call: nbtensor resizes out although the call fails"
        return "failed out= call: torch resizes out before it fails, nbtensor keeps it (SPEC 13)"
    if (m.kind == "values" and fresh and not getattr(m, "torch_raised", False)
            and (m.var or "").split("[")[0] == fresh.group(1)):
        return "out= result values differ (a fresh out= tensor, often of another dtype)"
    for name, kinds, lre, dre in CATEGORIES:
        if m.kind in kinds and re.search(lre, m.line) and re.search(dre, detail):
            return name
    return "other: " + m.kind


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    ap.add_argument("--reduce-budget", type=int, default=150)
    ap.add_argument("--examples", type=int, default=3, help="reduced examples per class")
    ap.add_argument("--device", default="cpu",
                    help="where nbtensor's tensors live: cpu, guarded (tests/guarded_backend.py), or cuda "
                         "(a GPU, or Numba's CUDA simulator with NUMBA_ENABLE_CUDASIM=1)")
    a = ap.parse_args(argv)
    if a.device == "guarded":
        import nbtensor

        from tests import guarded_backend
        guarded_backend.register()
        nbtensor.set_default_device("guarded")
    elif a.device == "cuda":
        import nbtensor

        if not nbtensor.cuda.is_available():
            ap.error("--device cuda needs a GPU, or NUMBA_ENABLE_CUDASIM=1 for Numba's CUDA simulator")
        nbtensor.set_default_device("cuda")
    t0 = time.monotonic()
    cats = {}
    n = lines_run = 0
    while time.monotonic() - t0 < a.seconds:
        res = run_seed(a.seed + n, keep_going=True)
        n += 1
        lines_run += len(res.lines)
        for m in res.mismatches:
            known = known_divergence(m)
            name = "known, deliberate: " + known if known else category(m)
            c = cats.setdefault(name, {"count": 0, "seeds": [], "buckets": {}})
            c["count"] += 1
            if len(c["seeds"]) < 8:
                c["seeds"].append(res.seed)
            b = c["buckets"].setdefault(bucket(m), [0, res.lines, m])
            b[0] += 1
    elapsed = time.monotonic() - t0
    print("%d programs (%d lines) in %.0f s: %.1f programs/min; %d classes"
          % (n, lines_run, elapsed, 60 * n / elapsed, len(cats)), flush=True)
    for name, c in sorted(cats.items(), key=lambda kv: -kv[1]["count"]):
        print("  %5d  %s" % (c["count"], name))
    out = []
    for name, c in sorted(cats.items(), key=lambda kv: -kv[1]["count"]):
        print("=" * 88)
        print("[%d] %s   seeds %s" % (c["count"], name, c["seeds"]))
        examples = []
        for key, (cnt, lines, m) in sorted(c["buckets"].items(), key=lambda kv: -kv[1][0]):
            if len(examples) >= a.examples:
                break
            rl, rm, rexcs = reduce_program(lines, m, a.reduce_budget, keep_going=True)
            text = format_program(rl, rexcs, rm) if rm else "\n".join(lines[:m.line_no + 1])
            detail = (rm or m).detail
            print("--- (%d) %s" % (cnt, key))
            print(text)
            print("#", detail.replace("\n", "\n# "))
            sys.stdout.flush()
            examples.append({"bucket": key, "count": cnt, "program": text, "detail": detail})
        out.append({"class": name, "count": c["count"], "seeds": c["seeds"],
                    "buckets": {k: v[0] for k, v in c["buckets"].items()},
                    "examples": examples})
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"programs": n, "lines": lines_run, "seconds": elapsed,
                       "classes": out}, f, indent=1)


if __name__ == "__main__":
    main()
