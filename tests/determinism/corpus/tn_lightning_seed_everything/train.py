import lightning as L
from torch.utils.data import DataLoader

from data import Jitter

if __name__ == "__main__":
    L.seed_everything(42, workers=True)
    loader = DataLoader(Jitter(), num_workers=4)
    print(next(iter(loader)))
