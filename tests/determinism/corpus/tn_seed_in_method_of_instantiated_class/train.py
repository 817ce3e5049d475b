import torch


class Trainer:
    def __init__(self, seed):
        self._seed(seed)
        self.model = torch.nn.Linear(2, 2)

    def _seed(self, seed):
        torch.manual_seed(seed)


if __name__ == "__main__":
    print(Trainer(0).model)
