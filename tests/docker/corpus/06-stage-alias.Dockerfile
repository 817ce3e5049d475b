FROM debian:bookworm-20240513 AS base
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates=20230311

FROM base AS final
RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5
USER daemon
