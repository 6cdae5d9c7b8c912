"""``nbtensor.optim`` (torch.optim): the Optimizer base (``optimizer``), SGD and ASGD
(``sgd``), Adam and AdamW (``adam``), Adamax, NAdam and RAdam (``adam_variants``), Adagrad,
RMSprop and Adadelta (``adaptive``), Rprop (``rprop``), Adafactor (``adafactor``), L-BFGS
(``lbfgs``, with its strong-Wolfe line search in ``_line_search``), and the learning-rate
schedules (``lr_scheduler``); ``_helpers`` holds what the optimizers share."""
from nbtensor.optim import lr_scheduler
from nbtensor.optim.adafactor import Adafactor
from nbtensor.optim.adam import Adam, AdamW
from nbtensor.optim.adam_variants import Adamax, NAdam, RAdam
from nbtensor.optim.adaptive import Adadelta, Adagrad, RMSprop
from nbtensor.optim.lbfgs import LBFGS
from nbtensor.optim.optimizer import Optimizer
from nbtensor.optim.rprop import Rprop
from nbtensor.optim.sgd import ASGD, SGD

__all__ = ["Optimizer", "SGD", "ASGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "RMSprop", "Adadelta",
           "Rprop", "Adafactor", "LBFGS", "lr_scheduler"]
