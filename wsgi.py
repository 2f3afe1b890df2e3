"""Entry point for gunicorn (`gunicorn wsgi:app`) and `flask --app wsgi`."""

import logging

from linli import create_app

app = create_app()

gunicorn_logger = logging.getLogger("gunicorn.error")
if gunicorn_logger.handlers:
    # Under gunicorn, application logs go where gunicorn's error log goes.
    app.logger.handlers = gunicorn_logger.handlers
    app.logger.setLevel(gunicorn_logger.level)
