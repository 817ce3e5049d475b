import numpy as np
import torch
from torch.utils.data import DataLoader

from data import Crops

np.random.seed(1)
torch.manual_seed(1)
for batch in DataLoader(Crops(), batch_size=4, num_workers=3):
    print(batch)
