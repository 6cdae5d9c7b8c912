"""``nbtensor.nn`` (torch.nn): Module, Parameter, the containers, layers and losses of D2L
chapters 3–6, ``nn.init`` and ``nn.functional``."""
from nbtensor.nn import functional, init, utils  # noqa: F401
from nbtensor.nn.activation_layers import *  # noqa: F401,F403
from nbtensor.nn.containers import *  # noqa: F401,F403
from nbtensor.nn.distance import CosineSimilarity, PairwiseDistance  # noqa: F401
from nbtensor.nn.embedding import Embedding  # noqa: F401
from nbtensor.nn.loss_layers import *  # noqa: F401,F403
from nbtensor.nn.modules import *  # noqa: F401,F403
from nbtensor.nn.normalization import LayerNorm  # noqa: F401
from nbtensor.nn.parameter import Parameter, UninitializedParameter  # noqa: F401
from nbtensor.nn.rnn import GRU, LSTM, RNN, RNNBase  # noqa: F401
from nbtensor.nn.rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase  # noqa: F401
