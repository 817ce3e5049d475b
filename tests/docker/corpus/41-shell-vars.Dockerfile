FROM ubuntu:22.04
RUN pkgs="curl=7.81.0-1ubuntu1.16 ca-certificates=20230311ubuntu0.22.04.1" \
    && apt-get update \
    && apt-get install -y --no-install-recommends $pkgs \
    && rm -rf /var/lib/apt/lists/*
RUN loose="wget" && apt-get update && apt-get install -y --no-install-recommends $loose && rm -rf /var/lib/apt/lists/*
USER 1000
