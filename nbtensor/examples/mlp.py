"""D2L 3.9: a multilayer perceptron from scratch (``--concise``: 3.10, with nn and optim).
``python -m nbtensor.examples.mlp``"""
import nbtensor as torch
from nbtensor import nn
from nbtensor.examples import data
from nbtensor.examples.ch3 import parse_args, softmax, train_ch3, train_concise


def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)


def main():
    args = parse_args(__doc__, epochs=10, batch_size=256, lr=0.1)
    dataset = data.load(args.data)
    torch.manual_seed(0)
    if args.concise:
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        return train_concise(net, dataset, args)
    num_inputs, num_outputs, num_hiddens = 784, 10, 256
    W1 = torch.randn(num_inputs, num_hiddens, device=args.device) * 0.01
    W1.requires_grad_()
    b1 = torch.zeros(num_hiddens, requires_grad=True, device=args.device)
    W2 = torch.randn(num_hiddens, num_outputs, device=args.device) * 0.01
    W2.requires_grad_()
    b2 = torch.zeros(num_outputs, requires_grad=True, device=args.device)
    params = [W1, b1, W2, b2]

    def net(X):
        X = X.reshape((-1, num_inputs))
        H = relu(X @ W1 + b1)  # here '@' stands for matrix multiplication
        return softmax(H @ W2 + b2)

    return train_ch3(net, params, dataset, args)


if __name__ == "__main__":
    main()
