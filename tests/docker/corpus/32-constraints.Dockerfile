FROM python:3.11-slim
COPY constraints.txt requirements.txt ./
RUN pip install --no-cache-dir -c constraints.txt numpy
RUN pip install --no-cache-dir --requirement requirements.txt
USER 1000
