FROM python:3.11-slim
RUN python -m pip install --upgrade pip
RUN python3 -m pip install --no-cache-dir "numpy==1.26.4" "pandas~=2.2"
USER 1000
