"""``nn.utils.rnn``: batches of sequences of different lengths, padded into one tensor
(`pad_sequence`) or packed time step by time step (`PackedSequence`), as the recurrent
layers take them. Written with recorded ops (in-place writes into a padded tensor, cat,
index_select), so gradients flow back to the sequences."""
import collections

import nbtensor as torch

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "invert_permutation"]


def invert_permutation(permutation):
    """The permutation that undoes `permutation` (None stays None)."""
    if permutation is None:
        return None
    inverse = torch.empty_like(permutation)
    inverse.scatter_(0, permutation, torch.arange(permutation.numel(), device=permutation.device))
    return inverse


class PackedSequence(collections.namedtuple("PackedSequence",
                                            ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Sequences packed time step by time step: `data` holds, for each step t, the elements
    of the `batch_sizes[t]` sequences still running (longest first); `sorted_indices` maps
    that order to the batch's (None when the batch was sorted already)."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """`data` (and the indices, when the device changes) moved or cast as ``Tensor.to``;
        `batch_sizes` stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        indices = [None if i is None else i.to(data.device) for i in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *indices)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    def double(self):
        return self.to(torch.float64)

    def float(self):
        return self.to(torch.float32)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """The tensors `sequences` (each (L_i, *)) padded with `padding_value` to the longest
    and stacked: (L_max, B, *), or (B, L_max, *) with `batch_first`; `padding_side` 'left'
    puts the padding before each sequence. The result has the first sequence's dtype."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences.unbind(0) if isinstance(sequences, torch.Tensor) else sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    longest = max(s.shape[0] for s in sequences)
    shape = (len(sequences), longest) if batch_first else (longest, len(sequences))
    out = torch.full(shape + tuple(first.shape[1:]), padding_value, dtype=first.dtype, device=first.device)
    for i, seq in enumerate(sequences):
        n = seq.shape[0]
        steps = slice(0, n) if padding_side == "right" else slice(longest - n, longest)
        out[(i, steps) if batch_first else (steps, i)] = seq
    return out


def _lengths_list(lengths):
    """`lengths` (a list or a 1-D tensor) as a list of ints."""
    return [int(n) for n in (lengths.tolist() if isinstance(lengths, torch.Tensor) else lengths)]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack the padded batch `input` ((T, B, *), or (B, T, *) with `batch_first`) whose
    sequences have `lengths`: sorted longest first unless `enforce_sorted` (then they must
    be already, and `sorted_indices` is None)."""
    lengths = _lengths_list(lengths)
    sorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                "if you do not need ONNX exportability.")
    else:
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        sorted_indices = torch.tensor(order, dtype=torch.int64, device=input.device)
        lengths = [lengths[i] for i in order]
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    if len(lengths) != input.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={input.shape[1]})")
    if lengths and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(lengths[0] if lengths else 0)]
    data = torch.cat([input[t, :b] for t, b in enumerate(batch_sizes)])
    return PackedSequence(data, torch.tensor(batch_sizes, dtype=torch.int64, device="cpu"), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of `pack_padded_sequence`: (padded, lengths), padded (T, B, *) (or
    (B, T, *) with `batch_first`, T `total_length` when given) in the batch's original
    order, lengths a CPU int64 tensor."""
    data, batch_sizes = sequence.data, _lengths_list(sequence.batch_sizes)
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    batch = batch_sizes[0] if batch_sizes else 0
    out = torch.full((steps, batch) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    start = 0
    for t, b in enumerate(batch_sizes):
        out[t, :b] = data[start:start + b]
        start += b
    lengths = torch.tensor([sum(1 for b in batch_sizes if b > i) for i in range(batch)], dtype=torch.int64,
                           device="cpu")
    if sequence.unsorted_indices is not None:
        out = out.index_select(1, sequence.unsorted_indices)
        lengths = lengths.index_select(0, sequence.unsorted_indices.cpu())
    return (out.transpose(0, 1) if batch_first else out), lengths


def pack_sequence(sequences, enforce_sorted=True):
    """Pack the tensors `sequences` (each (L_i, *)): `pad_sequence`, then
    `pack_padded_sequence` with their lengths."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
