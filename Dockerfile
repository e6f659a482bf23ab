FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=oms.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
# Build-time values only: the real SECRET_KEY and ALLOWED_HOSTS come from the environment at run time.
RUN SECRET_KEY=build-only-$(head -c 48 /dev/urandom | base64 | tr -d '/+=') ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput -v 0 \
    && python manage.py compilemessages --ignore=.venv -v 0
RUN useradd --create-home oms && mkdir -p /app/.run/media && chown -R oms /app/.run
USER oms
EXPOSE 8000
CMD ["gunicorn", "oms.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
