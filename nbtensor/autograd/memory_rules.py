"""How autograd records the ops of ``ops/host_memory.py``: ``share_memory_`` moves memory and
writes no values (composite: not a write, so a leaf that requires grad may share its memory,
as in torch); ``pin_memory``'s copy passes its gradient through (torch's PinMemoryBackward0).
Registered into `rules` on import (nbtensor.autograd imports this module).
"""
from nbtensor.autograd.rules import COMPOSITE, rule

COMPOSITE.update({"share_memory_"})


@rule("pin_memory", saves=False)
def _pin_memory(args, kwargs, out):
    return "PinMemoryBackward0", (args[0],), lambda g: (g,)
