"""The loss modules of the divergence, likelihood, margin and embedding losses (their
functions are in nn/likelihood_losses.py and nn/margin_losses.py)."""
from nbtensor.nn import likelihood_losses as _likelihood
from nbtensor.nn import margin_losses as _margin
from nbtensor.nn.modules import _Loss

__all__ = ["KLDivLoss", "SoftMarginLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "PoissonNLLLoss",
           "GaussianNLLLoss", "CosineEmbeddingLoss"]


class KLDivLoss(_Loss):
    """``kl_div(input, target)``: the KL divergence of `target` from log-probabilities
    `input` ('batchmean' is the mathematical divergence per sample)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return _likelihood.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class SoftMarginLoss(_Loss):
    """The logistic loss ``log(1 + exp(-target * input))`` of targets ±1."""

    def forward(self, input, target):
        return _margin.soft_margin_loss(input, target, reduction=self.reduction)


class _MarginLoss(_Loss):
    """A loss with a `margin` (kept as an attribute, as torch's)."""

    def __init__(self, margin, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class _PairMarginLoss(_MarginLoss):
    """A margin loss of two inputs and a target of ±1 (its function: `_function`)."""

    def forward(self, input1, input2, target):
        return type(self)._function(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_PairMarginLoss):
    """``max(0, -target * (input1 - input2) + margin)``."""

    _function = staticmethod(_margin.margin_ranking_loss)

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """`input` where target is 1, ``max(0, margin - input)`` where it is -1."""

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input, target):
        return _margin.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_PairMarginLoss):
    """``1 - cos(input1, input2)`` where target is 1, ``max(0, cos - margin)`` where it is -1."""

    _function = staticmethod(_margin.cosine_embedding_loss)

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)


class PoissonNLLLoss(_Loss):
    """The Poisson negative log likelihood of counts `target` (`input`: log rates when
    `log_input`, else rates)."""

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return _likelihood.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                            eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """The Gaussian negative log likelihood of `target` under mean `input` and variance `var`."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return _likelihood.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                             reduction=self.reduction)
