FROM python:3.11-slim AS one
ENV PIP_NO_CACHE_DIR=off
RUN pip install attrs==23.2.0

FROM python:3.11-slim
RUN PIP_NO_CACHE_DIR=1 pip install attrs==23.2.0
RUN pip install attrs==23.2.0
USER 1000
