ARG PY=3.11
FROM python:${PY:-3.10}-slim
ARG PY
RUN pip install --no-cache-dir "rich>=13"
USER 1000
