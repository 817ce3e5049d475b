import torch


def seed_everything(seed=0):
    torch.manual_seed(seed)
