FROM ubuntu:latest
RUN apt-get update && apt-get install -y python3 python3-pip
RUN pip3 install --no-cache-dir torch==2.3.1
USER nobody
