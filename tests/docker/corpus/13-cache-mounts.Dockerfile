FROM python:3.11-slim
RUN --mount=type=cache,target=/root/.cache/pip pip install torch==2.3.1
RUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked --mount=type=cache,target=/var/cache/apt \
    apt-get update && apt-get install -y --no-install-recommends ffmpeg=7:5.1.5-0+deb12u1
USER 1000
