FROM python:3.11.9-slim-bookworm@sha256:3f1b8d3f0e6a3c3b1a9a0a5a2d8f3c4b5a6e7f8091a2b3c4d5e6f708192a3b4c
ENV PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1=12.2.0-14 \
 && rm -rf /var/lib/apt/lists/*
RUN pip install numpy==1.26.4 scipy==1.13.1
RUN useradd --create-home app
USER app
