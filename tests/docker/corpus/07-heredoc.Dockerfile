# syntax=docker/dockerfile:1.7
FROM python:3.12-slim
RUN <<EOF
pip install --no-cache-dir requests
EOF
USER 1001
