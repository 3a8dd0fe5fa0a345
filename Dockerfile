# One image for web, worker and beat (compose.yaml picks the command). Python 3.11, the pinned
# requirements, static files collected at build time so the web server serves hashed, compressed files.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
RUN useradd --create-home --uid 1000 tilfreds

COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
# collectstatic reads settings, which refuse to load without a secret key when DEBUG is off: a
# throwaway one is enough, nothing is signed at build time.
# The translation catalogues are compiled here too (pure Python, Babel: the image has no gettext);
# the .mo files are not in the repository.
RUN python -m core.catalogues compile --force \
    && DJANGO_SECRET_KEY=build-only-not-used-at-run-time DJANGO_DEBUG=0 \
    python manage.py collectstatic --no-input --verbosity 0 \
    && mkdir -p /app/media && chown -R tilfreds /app/media

USER tilfreds
EXPOSE 8000
# Behind a proxy, WEB_CONCURRENCY sets the number of gunicorn workers (2 per core is a good start).
CMD ["sh", "-c", "exec gunicorn config.wsgi --bind 0.0.0.0:${PORT:-8000} --workers ${WEB_CONCURRENCY:-2} --threads 4 --keep-alive 5 --timeout 60 --access-logfile -"]
