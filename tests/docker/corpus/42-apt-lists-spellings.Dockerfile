FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5 && rm -rf /var/lib/apt/lists*
RUN apt-get update && apt-get install -y --no-install-recommends git=1:2.39.2-1.1 && rm -rf /var/lib/apt/lists
RUN apt-get update && apt-get install -y --no-install-recommends make=4.3-4.1 && apt-get clean
USER 1000
