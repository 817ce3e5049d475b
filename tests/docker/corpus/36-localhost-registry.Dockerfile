FROM localhost:5000/ml/img:latest
RUN pip install --no-cache-dir tqdm
USER 1000
