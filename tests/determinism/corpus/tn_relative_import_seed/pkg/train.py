import numpy as np

from .seeding import seed_all


def main():
    seed_all(7)
    print(np.random.rand())


if __name__ == "__main__":
    main()
