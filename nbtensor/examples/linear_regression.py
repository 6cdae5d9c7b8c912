"""D2L 3.2: linear regression from scratch, on the book's synthetic data (``--concise``:
3.3, with nn, optim and DataLoader). ``python -m nbtensor.examples.linear_regression``"""
import random

import nbtensor as torch
from nbtensor import nn
from nbtensor.examples.ch3 import parse_args, sgd
from nbtensor.utils import data


def synthetic_data(w, b, num_examples, device):
    """Generate y = Xw + b + noise."""
    X = torch.normal(0, 1, (num_examples, len(w)), device=device)
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape, device=device)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)  # the examples are read at random, in no particular order
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)], device=features.device)
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    """The linear regression model."""
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def main():
    args = parse_args(__doc__, epochs=3, batch_size=10, lr=0.03, data=False)
    torch.manual_seed(0)
    random.seed(0)
    true_w = torch.tensor([2, -3.4], device=args.device)
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, 1000, args.device)
    if args.concise:
        return concise(features, labels, true_w, true_b, args)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True, device=args.device)
    b = torch.zeros(1, requires_grad=True, device=args.device)
    net, loss = linreg, squared_loss
    for epoch in range(args.epochs):
        for X, y in data_iter(args.batch_size, features, labels):
            l = loss(net(X, w, b), y)  # noqa: E741  (the book's name)
            l.sum().backward()
            sgd([w, b], args.lr, args.batch_size)
        with torch.no_grad():
            train_l = loss(net(features, w, b), labels)
            print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')
    print(f'w: {w.detach().reshape(-1).tolist()}, error in estimating w: {true_w - w.reshape(true_w.shape)}')
    print(f'b: {b.item():.4f}, error in estimating b: {true_b - b}')
    return w, b


def concise(features, labels, true_w, true_b, args):
    """D2L 3.3."""
    data_iter = data.DataLoader(data.TensorDataset(features, labels), args.batch_size, shuffle=True)
    net = nn.Sequential(nn.Linear(2, 1)).to(args.device)
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        for X, y in data_iter:
            l = loss(net(X), y)  # noqa: E741  (the book's name)
            trainer.zero_grad()
            l.backward()
            trainer.step()
        l = loss(net(features), labels)  # noqa: E741
        print(f'epoch {epoch + 1}, loss {l:f}')
    w, b = net[0].weight.data, net[0].bias.data
    print('error in estimating w:', true_w - w.reshape(true_w.shape))
    print('error in estimating b:', true_b - b)
    return w.reshape(2, 1), b


if __name__ == "__main__":
    main()
