import numpy as np

print("remember to call np.random.seed(0) and torch.manual_seed(0)")
SEED_DOC = """random.seed(42)"""
x = np.random.normal(size=3)
print(x)
