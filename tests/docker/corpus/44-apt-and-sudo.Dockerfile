FROM ubuntu:22.04
SHELL ["/bin/bash", "-c"]
RUN apt update && apt install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
RUN apt-get update && sudo apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*
USER 1000
