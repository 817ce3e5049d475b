FROM ubuntu:22.04
RUN apt-get update
RUN apt-get install -y --no-install-recommends python3=3.10.6-1~22.04
USER 1000
