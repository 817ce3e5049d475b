import os

os.environ.setdefault("PYTHONHASHSEED", "0")
print(hash("x"))
