import random

import torch
from torch.utils.data import DataLoader

from data import Jitter

random.seed(0)
torch.manual_seed(0)
loader = DataLoader(Jitter(), batch_size=8, num_workers=2)
print(next(iter(loader)))
