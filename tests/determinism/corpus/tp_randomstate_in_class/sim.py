import numpy as np


class Walker:
    def __init__(self):
        self.rng = np.random.RandomState()

    def step(self):
        return self.rng.randn()


if __name__ == "__main__":
    print(Walker().step())
