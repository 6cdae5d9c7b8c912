"""The helpers D2L chapter 3 builds along the way (the book's ``d2l`` functions), written as
the book writes them with ``import nbtensor as torch``."""
import argparse
import time

import nbtensor as torch
from nbtensor import nn
from nbtensor.examples.data import batches


def parse_args(description, epochs, batch_size, lr, data=True):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda where a GPU backend exists")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--lr", type=float, default=lr)
    if data:
        parser.add_argument("--data", default=None, help="directory with the Fashion-MNIST IDX files")
    parser.add_argument("--concise", action="store_true",
                        help="the concise version (nn, optim, DataLoader: D2L 3.3, 3.7, 3.10)")
    return parser.parse_args()


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition  # broadcasting


def cross_entropy(y_hat, y):
    return - torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    """The number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, batches):
    """The accuracy of `net` on a dataset."""
    correct = total = 0
    with torch.no_grad():
        for X, y in batches:
            correct += accuracy(net(X), y)
            total += y.numel()
    return correct / total


def train_ch3(net, params, data, args, loss=None, trainer=None):
    """Train `net` (softmax regression, MLP) for ``args.epochs`` epochs, a line per epoch:
    from scratch (`params`, the book's `sgd` and `cross_entropy`), or concise (an nn `loss`
    with ``reduction='none'`` and an optim `trainer`)."""
    train_x, train_y, test_x, test_y = data
    for epoch in range(args.epochs):
        start = time.perf_counter()
        if trainer is not None:
            net.train()
        loss_sum = correct = seen = 0.0
        for X, y in batches(train_x, train_y, args.batch_size, True, args.device, seed=epoch):
            y_hat = net(X)
            if trainer is None:
                l = cross_entropy(y_hat, y)  # noqa: E741  (the book's name)
                l.sum().backward()
                sgd(params, args.lr, X.shape[0])
            else:
                l = loss(y_hat, y)  # noqa: E741
                trainer.zero_grad()
                l.mean().backward()
                trainer.step()
            loss_sum += float(l.detach().sum())
            correct += accuracy(y_hat.detach(), y)
            seen += y.numel()
        if trainer is not None:
            net.eval()
        test_acc = evaluate_accuracy(net, batches(test_x, test_y, 256, False, args.device))
        print(f"epoch {epoch + 1}, loss {loss_sum / seen:.4f}, train acc {correct / seen:.3f}, "
              f"test acc {test_acc:.3f} ({time.perf_counter() - start:.1f} s)", flush=True)
    return test_acc


def train_concise(net, data, args):
    """The concise version (D2L 3.7, 3.10): weights drawn from N(0, 0.01²), the nn loss and
    the optim trainer, then the same loop."""
    net.to(args.device)

    def init_weights(m):
        if type(m) is nn.Linear:
            nn.init.normal_(m.weight, std=0.01)
    net.apply(init_weights)
    loss = nn.CrossEntropyLoss(reduction='none')
    trainer = torch.optim.SGD(net.parameters(), lr=args.lr)
    return train_ch3(net, None, data, args, loss, trainer)
