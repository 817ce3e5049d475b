import numpy as np
import torch
from torch.utils.data import DataLoader

from data import Noisy

torch.manual_seed(0)
np.random.seed(0)
loader = DataLoader(Noisy(), batch_size=4, num_workers=4)
print(next(iter(loader)))
