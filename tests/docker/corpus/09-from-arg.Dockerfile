ARG IMG=python
FROM ${IMG}
RUN pip install --no-cache-dir click==8.1.7
USER 1000
