FROM python:3.11-slim
RUN pip install --no-cache-dir "scikit-learn>=1.4" "xgboost<3" "lightgbm!=4.0.0"
RUN pip install --no-cache-dir "matplotlib==3.*"
RUN pip install --no-cache-dir ./dist/mypkg-0.1.0-py3-none-any.whl .
RUN pip install --no-cache-dir git+https://github.com/example/lib@v1.2.0
USER 1000
