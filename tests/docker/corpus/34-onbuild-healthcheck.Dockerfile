FROM python:3.11-slim
LABEL org.opencontainers.image.source="https://example.com/repo"
EXPOSE 8000
HEALTHCHECK --interval=30s CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8000')"
ONBUILD RUN pip install --no-cache-dir -r requirements.txt
STOPSIGNAL SIGTERM
VOLUME ["/data"]
USER 1000
