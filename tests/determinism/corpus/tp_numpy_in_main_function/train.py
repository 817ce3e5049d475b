import numpy as np


def main():
    data = np.random.rand(100, 3)
    print(data.mean())


if __name__ == "__main__":
    main()
