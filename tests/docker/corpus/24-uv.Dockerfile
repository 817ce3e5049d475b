FROM python:3.12-slim
RUN pip install --no-cache-dir uv==0.4.18
RUN uv pip install --system ruff
USER 1000
