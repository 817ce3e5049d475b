import random

items = list(range(10))
random.shuffle(items)
print(items)
