"""D2L 3.6: softmax regression from scratch (``--concise``: 3.7, with nn and optim).
``python -m nbtensor.examples.softmax_regression``"""
import nbtensor as torch
from nbtensor import nn
from nbtensor.examples import data
from nbtensor.examples.ch3 import parse_args, softmax, train_ch3, train_concise


def main():
    args = parse_args(__doc__, epochs=10, batch_size=256, lr=0.1)
    dataset = data.load(args.data)
    torch.manual_seed(0)
    if args.concise:
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
        return train_concise(net, dataset, args)
    num_inputs, num_outputs = 784, 10
    W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True, device=args.device)
    b = torch.zeros(num_outputs, requires_grad=True, device=args.device)

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    return train_ch3(net, [W, b], dataset, args)


if __name__ == "__main__":
    main()
