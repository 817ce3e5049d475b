FROM node:20 AS web
RUN npm ci

FROM python:3.11-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev
RUN pip install psycopg2

FROM deps AS test
RUN pip install pytest

FROM python:3.11-slim
COPY --from=web /app/dist /static
COPY --from=deps /usr/local /usr/local
RUN apt-get update && apt-get install -y --no-install-recommends libpq5
ADD entrypoint.sh /entrypoint.sh
USER 1000
