FROM centos
MAINTAINER someone@example.com
ENV LANG C.UTF-8
RUN yum install -y python3 && pip3 install flask gunicorn
ADD . /srv
USER 1000
