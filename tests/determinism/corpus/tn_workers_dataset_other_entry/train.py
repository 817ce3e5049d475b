import numpy as np
import torch
from torch.utils.data import DataLoader

from noisy import Noisy

np.random.seed(0)
torch.manual_seed(0)
for b in DataLoader(Noisy(), batch_size=2, num_workers=4, worker_init_fn=lambda w: np.random.seed(w)):
    print(b)
