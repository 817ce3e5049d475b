FROM python:3.12-slim
RUN <<EOT
set -e
apt-get update
apt-get install -y --no-install-recommends git
EOT
RUN pip install --no-cache-dir flask
USER 1001
