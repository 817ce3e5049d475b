FROM python:3.11-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG EXTRA=""
ENV PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv && pip install --no-cache-dir jupyterlab
USER 1000
