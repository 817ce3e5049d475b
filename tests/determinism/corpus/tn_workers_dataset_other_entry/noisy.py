import numpy as np
from torch.utils.data import Dataset


class Noisy(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return np.random.rand() + i
