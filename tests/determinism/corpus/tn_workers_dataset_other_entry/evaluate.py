import torch
from torch.utils.data import DataLoader

from plain import Plain

torch.manual_seed(0)
for b in DataLoader(Plain(), batch_size=2, num_workers=4):
    print(b)
