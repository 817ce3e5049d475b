FROM debian:12
RUN apt-get -y update && apt-get -y install --no-install-recommends -o Dpkg::Options::=--force-confnew make=4.3-4.1 gcc && apt-get clean
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -qq -y --no-install-recommends tini=0.19.0-1 && rm -rf /var/lib/apt/lists
USER 1000
