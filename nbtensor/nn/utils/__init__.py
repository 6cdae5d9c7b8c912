"""``nn.utils`` (torch.nn.utils): clipping gradients, parameters as one flat vector,
parametrizations (``parametrize``, ``parametrizations``), weight and spectral normalisation,
folding batch norm into the layer before it, calling a module with substituted tensors
(``stateless``), and ``nn.utils.rnn`` (padding and packing batches of sequences)."""
from nbtensor.nn.utils.clip_grad import (clip_grad_norm, clip_grad_norm_, clip_grad_value_,  # noqa: F401
                                         clip_grads_with_norm_, get_total_norm)
from nbtensor.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from nbtensor.nn.utils.fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,  # noqa: F401
                                      fuse_linear_bn_weights)
from nbtensor.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from nbtensor.nn.utils.weight_norm import remove_weight_norm, weight_norm  # noqa: F401
from nbtensor.nn.utils import parametrizations, parametrize, rnn, stateless  # noqa: F401

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "fuse_conv_bn_eval",
           "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights", "get_total_norm",
           "parameters_to_vector", "remove_spectral_norm", "remove_weight_norm", "spectral_norm",
           "vector_to_parameters", "weight_norm"]
