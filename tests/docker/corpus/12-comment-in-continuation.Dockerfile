FROM debian:12.5
RUN apt-get update \
    # tools for the build
    && apt-get install -y --no-install-recommends \
       git=1:2.39.2-1.1 \
       # compression
       unzip \
    && rm -rf /var/lib/apt/lists/*
USER 65534
