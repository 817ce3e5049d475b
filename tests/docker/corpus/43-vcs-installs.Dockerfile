FROM python:3.11-slim
RUN pip install --no-cache-dir "git+https://github.com/example/lib"
RUN pip install --no-cache-dir "git+https://github.com/example/lib@0123456789abcdef0123456789abcdef01234567"
RUN pip install --no-cache-dir "lib @ git+https://github.com/example/lib"
USER 1000
