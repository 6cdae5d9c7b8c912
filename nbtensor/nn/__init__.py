"""``nbtensor.nn`` (torch.nn): Module, Parameter, the containers, layers and losses of D2L
chapters 3–6, ``nn.init`` and ``nn.functional``."""
from nbtensor.nn import functional, init, utils  # noqa: F401
from nbtensor.nn.activation_layers import *  # noqa: F401,F403
from nbtensor.nn.batchnorm import BatchNorm1d, BatchNorm2d, LazyBatchNorm1d, LazyBatchNorm2d  # noqa: F401
from nbtensor.nn.containers import *  # noqa: F401,F403
from nbtensor.nn.conv_layers import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,  # noqa: F401
                                     ConvTranspose3d, LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d,
                                     LazyConvTranspose2d, LazyConvTranspose3d)
from nbtensor.nn.distance import CosineSimilarity, PairwiseDistance  # noqa: F401
from nbtensor.nn.dropout import Dropout1d, Dropout2d  # noqa: F401
from nbtensor.nn.embedding import Embedding, EmbeddingBag  # noqa: F401
from nbtensor.nn.multihead import MultiheadAttention  # noqa: F401
from nbtensor.nn.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,  # noqa: F401
                                     TransformerEncoder, TransformerEncoderLayer)
from nbtensor.nn.interpolate import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
from nbtensor.nn.group_norm import BatchNorm3d, GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa: F401
from nbtensor.nn.loss_layers import *  # noqa: F401,F403
from nbtensor.nn.modules import *  # noqa: F401,F403
from nbtensor.nn.more_dropout import AlphaDropout, Dropout3d, FeatureAlphaDropout  # noqa: F401
from nbtensor.nn.more_layers import (Bilinear, ChannelShuffle, LocalResponseNorm, LPPool1d, LPPool2d,  # noqa: F401
                                     LPPool3d, RMSNorm)
from nbtensor.nn.more_loss_layers import *  # noqa: F401,F403
from nbtensor.nn.normalization import LayerNorm  # noqa: F401
from nbtensor.nn.parameter import Buffer, Parameter, UninitializedParameter  # noqa: F401
from nbtensor.nn.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,  # noqa: F401
                                AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, AvgPool1d, AvgPool2d,
                                AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d)
from nbtensor.nn.rnn import GRU, LSTM, RNN, RNNBase  # noqa: F401
from nbtensor.nn.rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase  # noqa: F401
from nbtensor.nn.shape_layers import *  # noqa: F401,F403
from nbtensor.nn.unpool import MaxUnpool1d, MaxUnpool2d, MaxUnpool3d  # noqa: F401
from nbtensor.nn import parallel  # noqa: F401,E402
from nbtensor.nn.parallel import DataParallel  # noqa: F401,E402
