import argparse

import torch
from torch.utils.data import DataLoader

parser = argparse.ArgumentParser()
parser.add_argument("--shuffle", action="store_true")
args = parser.parse_args()
torch.manual_seed(0)
loader = DataLoader(list(range(10)), shuffle=args.shuffle)
print(list(loader))
