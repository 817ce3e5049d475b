import os
import subprocess
import sys

os.environ["PYTHONHASHSEED"] = "0"
subprocess.run([sys.executable, "train.py"], check=True)
