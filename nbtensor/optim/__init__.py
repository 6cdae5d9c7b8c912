"""``nbtensor.optim`` (torch.optim): SGD and Adam over parameter groups, and a step schedule."""
from nbtensor.optim import lr_scheduler  # noqa: F401
from nbtensor.optim.optimizer import SGD, Adam, AdamW, Optimizer  # noqa: F401
