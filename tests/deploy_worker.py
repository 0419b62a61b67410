"""An outbox worker process for tests/test_deploy.py: `flask --app wsgi safety worker`, with
firebase-admin pointed at the tests' fake FCM (FAKE_FCM_URL): firebase-admin has no setting for
FCM's address, so the tests set its class attribute, here in the worker's own process."""

import os
import sys

from firebase_admin import messaging
from flask.cli import main

messaging._MessagingService.FCM_URL = os.environ["FAKE_FCM_URL"] + "/v1/projects/{0}/messages:send"
sys.argv = ["flask", "--app", "wsgi", "safety", "worker"]
main()
