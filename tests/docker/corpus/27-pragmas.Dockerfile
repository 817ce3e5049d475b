FROM python:3.11-slim
# hadolint ignore=DL3013
RUN pip install --no-cache-dir pip-tools
# envaudit: ignore[DKR004]
RUN pip install --no-cache-dir ipython
# hadolint ignore=DL3008,DL3009
RUN apt-get update && apt-get install -y --no-install-recommends vim
USER 1000
