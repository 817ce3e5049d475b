FROM python:3.11-slim
RUN useradd app
USER app
RUN pip install --no-cache-dir --user black==24.4.2
USER root
