import torch


def train():
    return torch.randn(3)


if __name__ == "__main__":
    torch.manual_seed(0)
    print(train())
