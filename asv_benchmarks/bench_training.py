"""One training epoch (forward, loss, backward, update on every mini-batch) of each D2L chapter 3
model, from scratch and concise, side by side: nbtensor and PyTorch (NumPy has no autograd).

The models are written once, against a module argument (``torch = load(backend)``), on fixed
synthetic data made with NumPy (nothing is downloaded), with one fixed batch order:
- linear regression (3.2 / 3.3): the book's 1000 examples of 2 features, w = [2, -3.4],
  b = 4.2, batches of 10, lr 0.03, squared loss;
- softmax regression (3.6 / 3.7): 784 inputs -> 10 classes, batches of 256, lr 0.1;
- MLP (3.9 / 3.10): 784 -> 256 (ReLU) -> 10, batches of 256, lr 0.1;
the image models on 6000 random float32 rows of 784 with labels 0-9.
The scratch form runs the book's own functions: those of nbtensor/examples, given the
backend module as their `torch` (see `book`). The batches are tensors made in setup, so an
epoch times the model alone, not the data loading.
"""
import types

import numpy as np

from nbtensor.examples import ch3, linear_regression, mlp

from ._backends import load

BACKENDS = ["nbtensor", "torch"]
MODELS = ["linear_regression", "softmax_regression", "mlp"]
FORMS = ["scratch", "concise"]
BOOK = (ch3.sgd, ch3.softmax, ch3.cross_entropy, mlp.relu, linear_regression.linreg,
        linear_regression.squared_loss)


def book(torch):
    """The book's helpers (`sgd`, `softmax`, `cross_entropy`, `relu`, `linreg`,
    `squared_loss`) as nbtensor/examples write them, with `torch` the given module: the same
    code, run in a namespace where the name ``torch`` is `torch`."""
    def bind(fn):
        return types.FunctionType(fn.__code__, {**fn.__globals__, "torch": torch}, fn.__name__,
                                  fn.__defaults__, fn.__closure__)
    return types.SimpleNamespace(**{fn.__name__: bind(fn) for fn in BOOK})


def data(model, seed=0):
    """(features, labels, batch size, lr) as NumPy arrays and numbers."""
    rng = np.random.default_rng(seed)
    if model == "linear_regression":  # D2L 3.2's synthetic_data: y = Xw + b + noise
        X = rng.standard_normal((1000, 2)).astype(np.float32)
        y = X @ np.array([2, -3.4], np.float32) + np.float32(4.2)
        y += rng.normal(0, 0.01, y.shape).astype(np.float32)
        return X, y.reshape(-1, 1), 10, 0.03
    X = rng.random((6000, 784), dtype=np.float32)
    return X, rng.integers(0, 10, 6000), 256, 0.1


def scratch(torch, model):
    """(net, loss, params) from scratch, as D2L 3.2, 3.6 and 3.9 build them."""
    f = book(torch)
    if model == "linear_regression":
        w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        return (lambda X: f.linreg(X, w, b)), f.squared_loss, [w, b]
    if model == "softmax_regression":
        W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
        b = torch.zeros(10, requires_grad=True)
        return (lambda X: f.softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)), f.cross_entropy, [W, b]
    W1 = (torch.randn(784, 256) * 0.01).requires_grad_()
    W2 = (torch.randn(256, 10) * 0.01).requires_grad_()
    b1, b2 = torch.zeros(256, requires_grad=True), torch.zeros(10, requires_grad=True)

    def net(X):
        H = f.relu(X.reshape((-1, 784)) @ W1 + b1)
        return f.softmax(H @ W2 + b2)
    return net, f.cross_entropy, [W1, b1, W2, b2]


def concise(torch, model):
    """(net, loss) in the concise form of D2L 3.3, 3.7 and 3.10."""
    nn = torch.nn
    if model == "linear_regression":
        net = nn.Sequential(nn.Linear(2, 1))
        net[0].weight.data.normal_(0, 0.01)
        net[0].bias.data.fill_(0)
        return net, nn.MSELoss()
    if model == "softmax_regression":
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    else:
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))

    def init_weights(m):
        if type(m) is nn.Linear:
            nn.init.normal_(m.weight, std=0.01)
    net.apply(init_weights)
    return net, nn.CrossEntropyLoss(reduction='none')


def epoch(torch, model, form, seed=0):
    """A zero-argument callable that trains `model` (`form`: scratch or concise) for one epoch
    over the fixed mini-batches."""
    X, y, batch_size, lr = data(model, seed)
    batches = [(torch.from_numpy(X[i:i + batch_size]), torch.from_numpy(y[i:i + batch_size]))
               for i in range(0, len(X), batch_size)]
    torch.manual_seed(seed)
    if form == "scratch":
        net, loss, params = scratch(torch, model)
        sgd = book(torch).sgd

        def step(X, y):
            l = loss(net(X), y)  # noqa: E741  (the book's name)
            l.sum().backward()
            sgd(params, lr, X.shape[0])
    else:
        net, loss = concise(torch, model)
        trainer = torch.optim.SGD(net.parameters(), lr=lr)
        mean = model != "linear_regression"  # nn.MSELoss (3.3) already takes the mean

        def step(X, y):
            l = loss(net(X), y)  # noqa: E741
            trainer.zero_grad()
            (l.mean() if mean else l).backward()
            trainer.step()

    def run():
        for X, y in batches:
            step(X, y)
    return run


class Epoch:
    """One epoch of a chapter 3 model; the warm-up epoch in setup compiles the kernels."""
    params = [BACKENDS, MODELS, FORMS]
    param_names = ["backend", "model", "form"]
    timeout = 300

    def setup(self, backend, model, form):
        self.run = epoch(load(backend), model, form)
        self.run()

    def time_epoch(self, backend, model, form):
        self.run()
