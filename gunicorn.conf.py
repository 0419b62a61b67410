"""gunicorn reads this file (from the directory it is started in) before it starts a worker:
a missing or wrong setting stops it here with one clear line and exit status 4, instead of
every worker failing to load the app."""

from safety.config import load_config, or_exit

or_exit(load_config)
