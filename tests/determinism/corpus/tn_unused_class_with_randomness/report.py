import random


class Shuffler:
    def run(self, xs):
        random.shuffle(xs)
        return xs


def summary(xs):
    return sum(xs) / len(xs)


if __name__ == "__main__":
    print(summary([1, 2, 3]))
