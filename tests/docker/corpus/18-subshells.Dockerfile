FROM python:3.11-slim
RUN (cd /tmp && pip install --no-cache-dir httpx) && echo done
RUN pip install --no-cache-dir uvicorn==0.30.1 | tee /tmp/log || true
RUN set -ex; pip install --no-cache-dir gunicorn; pip check
USER 1000
