import random

rng = random.Random()
print(rng.choice([1, 2, 3]))
