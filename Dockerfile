# syntax=docker/dockerfile:1
#
# hvs-qa production image: gunicorn serving Django (static files via
# WhiteNoise); the same image runs the Celery worker and beat (see
# docker-compose.yml).

# --- Stage 1: front-end assets (static/dist) -----------------------------------
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./frontend
RUN npm run build

# --- Stage 2: the application ---------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's native libraries and fonts for PDF reports.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies only (the project itself runs from /app via manage.py), read
# from pyproject.toml so this layer is cached until the dependencies change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
COPY --from=assets /build/static/dist ./static/dist

# Collect static files at build time (no database needed); the key is a
# throwaway used only for this command.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-real-secret-key-0123456789abcdef \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

# The media folder (generated reports) belongs to the app user; a named volume mounted
# there starts with this ownership.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app \
    && mkdir -p /app/media && chown app:app /app/media
USER app

EXPOSE 8000
# The web app's health (GET /health/); compose runs the worker's own check instead, and
# none for beat.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 CMD ["python", "bin/healthcheck"]
# Processes, threads, timeout and log format: gunicorn.conf.py (WEB_CONCURRENCY, GUNICORN_THREADS).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "hvs_qa.wsgi:application"]
