"""What gunicorn serves: `gunicorn wsgi:app`."""

from safety import create_app
from safety.config import or_exit

# A missing or wrong setting: one line on stderr and exit status 4, no traceback.
app = or_exit(create_app)
