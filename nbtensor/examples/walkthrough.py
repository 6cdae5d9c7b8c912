"""The D2L section 2.2 ("data manipulation") walkthrough, run with nbtensor.

Run it with ``python -m nbtensor.examples.walkthrough``. Every line is the book's PyTorch
code with ``import nbtensor as torch``; the test suite executes this file and checks its
output against NumPy.
"""
import numpy as np

import nbtensor as torch


def main():
    # 2.2.1 Creating tensors
    x = torch.empty(5, 3)
    x = torch.rand(5, 3)
    x = torch.zeros(5, 3, dtype=torch.long)
    print(x)
    x = torch.tensor([5.5, 3])
    print(x)
    x = x.new_ones(5, 3, dtype=torch.float64)
    print(x)
    x = torch.randn_like(x, dtype=torch.float)
    print(x.size())
    print(x.shape)

    # 2.2.2 Operations: arithmetic
    torch.manual_seed(0)
    x = torch.arange(15, dtype=torch.float32).view(5, 3) / 10
    y = torch.ones(5, 3)
    print(x + y)
    print(torch.add(x, y))
    result = torch.empty(5, 3)
    torch.add(x, y, out=result)
    print(result)
    y.add_(x)
    print(y)

    # Indexing shares memory with the source
    y = x[0, :]
    y += 1
    print(y)
    print(x[0, :])

    # Changing shape: view shares data; clone first to get a copy
    y = x.view(15)
    z = x.view(-1, 5)
    print(x.size(), y.size(), z.size())
    x += 1
    print(x)
    print(y)
    x_cp = x.clone().view(15)
    x -= 1
    print(x)
    print(x_cp)
    x = torch.randn(1)
    print(x)
    print(x.item())

    # Linear-algebra-flavoured helpers from the chapter
    m = torch.arange(9.0).view(3, 3)
    print(m.t())
    print(m.sum(), m.sum(dim=0), m.mean(dim=1), m.max(dim=1))
    print(torch.exp(torch.tensor([0.0, 1.0, 2.0])))
    print(m == m.t(), m < 4)

    # 2.2.3 Broadcasting
    x = torch.arange(1, 3).view(1, 2)
    print(x)
    y = torch.arange(1, 4).view(3, 1)
    print(y)
    print(x + y)

    # 2.2.4 Memory of operations
    x = torch.tensor([1, 2])
    y = torch.tensor([3, 4])
    id_before = id(y)
    y = y + x
    print(id(y) == id_before)  # False: a new tensor
    x = torch.tensor([1, 2])
    y = torch.tensor([3, 4])
    id_before = id(y)
    y[:] = y + x
    print(id(y) == id_before)  # True: written into y's memory
    y = torch.tensor([3, 4])
    id_before = id(y)
    torch.add(x, y, out=y)  # or y += x, y.add_(x)
    print(id(y) == id_before)  # True

    # 2.2.5 Tensor <-> NumPy
    a = torch.ones(5)
    b = a.numpy()
    print(a, b)
    a += 1
    print(a, b)
    b += 1
    print(a, b)
    a = np.ones(5)
    b = torch.from_numpy(a)
    print(a, b)
    a += 1
    print(a, b)
    b += 1
    print(a, b)
    c = torch.tensor(a)
    a += 1
    print(a, c)

    # 2.2.6 Tensor on GPU (runs on the CPU when no GPU backend is available)
    x = torch.tensor([1, 2])
    if torch.cuda.is_available():
        device = torch.device("cuda")
        y = torch.ones_like(x, device=device)
        x = x.to(device)
        z = x + y
        print(z)
        print(z.to("cpu", torch.double))
    else:
        print(x.to("cpu", torch.double))


if __name__ == "__main__":
    main()
