# The one image for web (gunicorn), worker and beat (celery); docker-compose.yml runs it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    ITSM_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app
RUN useradd --system --create-home --uid 10001 --user-group itsm

# Dependencies first, so that a code change does not reinstall them. The project has no packages
# to install (it runs from /app), so this installs exactly the dependencies in pyproject.toml.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .
RUN mkdir -p /app/var /app/staticfiles && chown itsm:itsm /app/var /app/staticfiles
USER itsm

# Static files are collected (hashed and compressed for whitenoise) into the image. Settings need
# a SECRET_KEY to load with DEBUG off; this one exists only during the build and is never used.
RUN DEBUG=0 SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "itsm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
