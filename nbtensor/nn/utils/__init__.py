"""``nn.utils`` (torch.nn.utils): clipping gradients, parameters as one flat vector, and
``nn.utils.rnn`` (padding and packing batches of sequences)."""
from nbtensor.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_  # noqa: F401
from nbtensor.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from nbtensor.nn.utils import rnn  # noqa: F401

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]
