FROM debian:12
RUN --mount=type=tmpfs,target=/var/lib/apt/lists apt-get update && apt-get install -y --no-install-recommends jq=1.6-2.1
USER 1000
