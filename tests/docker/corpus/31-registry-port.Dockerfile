FROM registry.example.com:5000/ml/base
FROM registry.example.com:5000/ml/base:2024.05 AS second
FROM registry.example.com:5000/img:latest
RUN pip install --no-cache-dir tqdm==4.66.4
USER 1000
