import numpy as np
import torch
from torch.utils.data import DataLoader

torch.manual_seed(0)
np.random.seed(0)
order = np.random.permutation(10)
loader = DataLoader(order.tolist(), num_workers=2)
print(list(loader))
