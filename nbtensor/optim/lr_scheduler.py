"""``optim.lr_scheduler`` (torch.optim.lr_scheduler): the base (``_lr_base``), the rules of
the epoch (``_lr_rules``), the cyclical schedules (``_lr_cycles``), and the composite and
metric-driven ones (``_lr_compose``)."""
from nbtensor.optim._lr_base import LRScheduler, _LRScheduler
from nbtensor.optim._lr_compose import ChainedScheduler, ReduceLROnPlateau, SequentialLR
from nbtensor.optim._lr_cycles import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from nbtensor.optim._lr_rules import (
    ConstantLR, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR, MultiStepLR, PolynomialLR,
    StepLR)

__all__ = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
           "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR", "LRScheduler", "_LRScheduler"]
