"""``nbtensor.utils`` (torch.utils): ``data``."""
from nbtensor.utils import data  # noqa: F401
