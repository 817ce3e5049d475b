import os

from launcher import run_child

os.environ["PYTHONHASHSEED"] = "0"
run_child("worker.py")
