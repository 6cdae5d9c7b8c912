"""The modules of the losses in nn/more_losses.py: TripletMarginLoss,
TripletMarginWithDistanceLoss, MultiLabelSoftMarginLoss, MultiMarginLoss and
MultiLabelMarginLoss."""
from nbtensor.nn import more_losses as _losses
from nbtensor.nn.distance import PairwiseDistance
from nbtensor.nn.modules import _Loss, _WeightedLoss

__all__ = ["TripletMarginLoss", "TripletMarginWithDistanceLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss",
           "MultiLabelMarginLoss"]


class TripletMarginLoss(_Loss):
    """The triplet loss with the `p`-norm distance (see F.triplet_margin_loss)."""

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return _losses.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                           swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """The triplet loss with `distance_function` (None: a PairwiseDistance module)."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(None, None, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                             "instead")
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin, self.swap = margin, swap

    def forward(self, anchor, positive, negative):
        return _losses.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                         distance_function=self.distance_function,
                                                         margin=self.margin, swap=self.swap, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """The per-class binary cross-entropy of logits, averaged over the classes, each class
    weighted by `weight` (a buffer) when given."""

    def forward(self, input, target):
        return _losses.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """The multi-class hinge loss (see F.multi_margin_loss)."""

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.dim()}D instead")
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return _losses.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                         reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """The multi-label hinge loss (see F.multilabel_margin_loss)."""

    def forward(self, input, target):
        return _losses.multilabel_margin_loss(input, target, reduction=self.reduction)
