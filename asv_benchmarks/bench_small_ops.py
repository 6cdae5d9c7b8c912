"""Per-call cost of ops on small tensors, side by side: nbtensor and PyTorch, with autograd
recording off and on (NumPy has no autograd and spells most of these differently).

Each row of `OPS` is one call the book's training loops make, on the sizes they make it:
3x3 float32 (`s`, `t`, and `u`, which the in-place and `out=` rows write), a (256, 10)
batch of logits (`m`) with its (256, 1) column `col`, row indices `rows`, label column
`labels` and `mask`, and 64x64 matrices (`p`, `q`). With recording on, the float inputs
require grad, so the time includes building the graph node (no backward is run); rows that
cannot record (creation, arg-reductions, in-place, `out=`, setitem) are timed with
recording off only.
"""
import numpy as np

from ._backends import array, load

BACKENDS = ["nbtensor", "torch"]


def _inputs(backend, grad):
    """The named inputs, made from one NumPy generator so both backends get equal values."""
    rng = np.random.default_rng(0)
    floats = {
        "s": rng.random((3, 3), dtype=np.float32),
        "t": rng.random((3, 3), dtype=np.float32),
        "m": rng.standard_normal((256, 10)).astype(np.float32),
        "col": rng.random((256, 1), dtype=np.float32),
        "p": rng.random((64, 64), dtype=np.float32),
        "q": rng.random((64, 64), dtype=np.float32),
    }
    others = {
        "u": np.zeros((3, 3), np.float32),
        "rows": rng.integers(0, 256, 64),
        "labels": rng.integers(0, 10, (256, 1)),
        "mask": rng.random((256, 10)) < 0.5,
    }
    made = {name: array(backend, a) for name, a in {**floats, **others}.items()}
    for name in floats:
        made[name].requires_grad_(grad)
    return made


# name -> (call of `torch` (the backend's module) and `x` (the inputs), records under grad)
OPS = {
    "zeros(3, 3)": (lambda torch, x: torch.zeros(3, 3), False),
    "ones(3, 3)": (lambda torch, x: torch.ones(3, 3), False),
    "empty(3, 3)": (lambda torch, x: torch.empty(3, 3), False),
    "tensor(2x3 list)": (lambda torch, x: torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), False),
    "arange(10)": (lambda torch, x: torch.arange(10), False),
    "s + t": (lambda torch, x: x["s"] + x["t"], True),
    "s * 2.0": (lambda torch, x: x["s"] * 2.0, True),
    "s.exp()": (lambda torch, x: x["s"].exp(), True),
    "relu(s)": (lambda torch, x: torch.relu(x["s"]), True),
    "m - col": (lambda torch, x: x["m"] - x["col"], True),
    "u.add_(t)": (lambda torch, x: x["u"].add_(x["t"]), False),
    "add(s, t, out=)": (lambda torch, x: torch.add(x["s"], x["t"], out=x["u"]), False),
    "s.sum()": (lambda torch, x: x["s"].sum(), True),
    "s.mean()": (lambda torch, x: x["s"].mean(), True),
    "m.sum(1)": (lambda torch, x: x["m"].sum(1), True),
    "m.max()": (lambda torch, x: x["m"].max(), True),
    "m.max(1)": (lambda torch, x: x["m"].max(1), True),
    "m.argmax(1)": (lambda torch, x: x["m"].argmax(1), False),
    "softmax(m, 1)": (lambda torch, x: torch.softmax(x["m"], 1), True),
    "log_softmax(m, 1)": (lambda torch, x: torch.log_softmax(x["m"], 1), True),
    "logsumexp(m, 1)": (lambda torch, x: torch.logsumexp(x["m"], 1), True),
    "m[3]": (lambda torch, x: x["m"][3], True),
    "m[:, 1:3]": (lambda torch, x: x["m"][:, 1:3], True),
    "m[:, [1, 3]]": (lambda torch, x: x["m"][:, [1, 3]], True),
    "m[rows]": (lambda torch, x: x["m"][x["rows"]], True),
    "m[mask]": (lambda torch, x: x["m"][x["mask"]], True),
    "m[3] = 1.0": (lambda torch, x: x["m"].__setitem__(3, 1.0), False),
    "m[:, [1, 3]] = 0.0": (lambda torch, x: x["m"].__setitem__((slice(None), [1, 3]), 0.0),
                           False),
    "gather(m, 1, labels)": (lambda torch, x: torch.gather(x["m"], 1, x["labels"]), True),
    "index_select(m, 0, rows)": (lambda torch, x: torch.index_select(x["m"], 0, x["rows"]),
                                 True),
    "masked_select(m, mask)": (lambda torch, x: torch.masked_select(x["m"], x["mask"]), True),
    "cat([s, t])": (lambda torch, x: torch.cat([x["s"], x["t"]]), True),
    "stack([s, t])": (lambda torch, x: torch.stack([x["s"], x["t"]]), True),
    "mm(p, q) 64x64": (lambda torch, x: torch.mm(x["p"], x["q"]), True),
    "p @ q 64x64": (lambda torch, x: x["p"] @ x["q"], True),
    "s.view(-1)": (lambda torch, x: x["s"].view(-1), True),
    "s.t()": (lambda torch, x: x["s"].t(), True),
    "m.reshape(10, 256)": (lambda torch, x: x["m"].reshape(10, 256), True),
    "s.unsqueeze(0)": (lambda torch, x: x["s"].unsqueeze(0), True),
    "s.expand(2, 3, 3)": (lambda torch, x: x["s"].expand(2, 3, 3), True),
}


def call(backend, op, grad):
    """A zero-argument callable running `op` on `backend` with recording on (`grad`) or off;
    NotImplementedError (asv: skipped) for a row that cannot record."""
    fn, records = OPS[op]
    if grad and not records:
        raise NotImplementedError(f"{op} records no graph")
    torch = load(backend)
    x = _inputs(backend, grad)
    fn(torch, x)  # compiles and warms any plan cache
    return lambda: fn(torch, x)


class SmallOps:
    """One call of each row of `OPS`, recording off and on."""
    params = [BACKENDS, list(OPS), [False, True]]
    param_names = ["backend", "op", "requires_grad"]

    def setup(self, backend, op, grad):
        self.fn = call(backend, op, grad)

    def time_call(self, backend, op, grad):
        self.fn()
