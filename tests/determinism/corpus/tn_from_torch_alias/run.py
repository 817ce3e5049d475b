import torch
from torch import manual_seed as ms

ms(0)
print(torch.randn(2))
