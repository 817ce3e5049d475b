FROM python:3.11-slim
ARG EXTRAS=""
COPY . /src
RUN pip install --no-cache-dir "/src${EXTRAS}"
RUN uv pip install --system --no-cache "tool @ git+https://github.com/example/tool.git@main" -e /src
USER 1000
