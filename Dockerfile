FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBUG=false \
    SANDBOX_ENABLED=false \
    PORT=8000 \
    GUNICORN_TIMEOUT=45

WORKDIR /app
RUN useradd --create-home --uid 10001 app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs settings that load; these values exist only for this build step.
RUN SECRET_KEY="collectstatic-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    CLEVERBRIDGE_NOTIFICATION_SECRET="collectstatic-only-$(python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; host = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0]; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), headers={'Host': host}), timeout=4)"
CMD ["gunicorn", "--config", "gunicorn.conf.py", "selfservice.wsgi"]
