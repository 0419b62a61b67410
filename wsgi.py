"""What gunicorn serves: `gunicorn wsgi:app`."""

from safety import create_app

app = create_app()
