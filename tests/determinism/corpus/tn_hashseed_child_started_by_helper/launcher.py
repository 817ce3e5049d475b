import subprocess
import sys


def run_child(script):
    subprocess.run([sys.executable, script], check=True)
