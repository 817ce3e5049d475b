import random

random.seed()  # reseeds from the clock: not a seed
print(random.random())
