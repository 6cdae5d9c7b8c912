"""``nn.parallel`` (torch.nn.parallel): ``DataParallel`` and ``data_parallel``."""
from nbtensor.nn.parallel.data_parallel import DataParallel, data_parallel  # noqa: F401

__all__ = ["DataParallel", "data_parallel"]
