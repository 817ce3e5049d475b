import os

os.environ["PYTHONHASHSEED"] = "0"
print(sorted({"a", "b"}))
