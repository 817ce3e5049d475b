import functools

import torch
from torch.utils.data import DataLoader

torch.manual_seed(0)
make_loader = functools.partial(DataLoader, shuffle=True)
print(list(make_loader(list(range(4)))))
