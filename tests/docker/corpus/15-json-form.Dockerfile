FROM python:3.10-slim
RUN ["pip", "install", "--no-cache-dir", "boto3"]
RUN ["/bin/sh", "-c", "pip install --no-cache-dir botocore==1.34.0"]
USER 1000
