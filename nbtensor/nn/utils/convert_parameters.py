"""``nn.utils.convert_parameters``: parameters as one flat vector, and back."""
import nbtensor as torch

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """Every tensor of `parameters` flattened and joined, in order, into one 1-D tensor
    (a new tensor; gradients flow back to the parameters)."""
    return torch.cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D tensor `vec` into `parameters`, each reshaped to its
    parameter's shape (as torch, through ``param.data``: not recorded by autograd)."""
    if not isinstance(vec, torch.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    start = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[start:start + n].view_as(param).data
        start += n
