import random

import numpy as np
import torch
from torch.utils.data import DataLoader


def seed_worker(worker_id):
    s = torch.initial_seed() % 2**32
    np.random.seed(s)
    random.seed(s)


torch.manual_seed(0)
g = torch.Generator()
g.manual_seed(0)
loader = DataLoader(list(range(10)), shuffle=True, num_workers=2, worker_init_fn=seed_worker, generator=g)
print(list(loader), np.random.rand())
