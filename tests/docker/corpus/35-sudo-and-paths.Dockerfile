FROM python:3.11-slim
RUN /usr/local/bin/pip install --no-cache-dir six
RUN sudo pip install --no-cache-dir wheel
RUN sh -c "pip install --no-cache-dir setuptools"
USER 1000
