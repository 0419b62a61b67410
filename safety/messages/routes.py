import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from safety.auth import login_required, me
from safety.extensions import db
from safety.messages import service
from safety.messages.models import AlertMessage
from safety.messages.replies import QUICK_REPLIES
from safety.messages.schemas import (
    MessageInSchema,
    MessagePageSchema,
    MessageSchema,
    QuickReplyListSchema,
)
from safety.openapi import operation
from safety.pagination import paginated

blp = Blueprint("messages", __name__, url_prefix="/api/v1",
                description="Silent replies: messages in an alert's timeline")


@blp.route("/alerts/<uuid:alert_id>/messages")
class Messages(MethodView):
    @operation("sendMessage", 403, 404, 409, 429)
    @login_required()
    @blp.arguments(MessageInSchema)
    @blp.response(201, MessageSchema)
    @blp.alt_response(200, schema=MessageSchema, description="A retry (the same client_id): "
                      "the message already stored.")
    def post(self, data, alert_id: uuid.UUID):
        """Send a message or a quick reply to the others in the alert"""
        posted = service.post(me(), alert_id, data)
        db.session.commit()  # after a duress cancel her message is kept, and the answer is 409
        if posted.closed:
            raise service.closed()
        return posted.seen, 201 if posted.created else 200

    @operation("listMessages", 404)
    @login_required()
    @blp.response(200, MessagePageSchema)
    @paginated(blp, AlertMessage)
    def get(self, alert_id: uuid.UUID):
        """The alert's messages, newest first"""
        user = me()
        stmt, who = service.thread(user, alert_id)
        return stmt, lambda m: service.Seen(m, who.role, m.sender_id == user.id)


@blp.route("/quick-replies")
class QuickReplies(MethodView):
    @operation("listQuickReplies")
    @login_required()
    @blp.response(200, QuickReplyListSchema)
    def get(self):
        """The quick replies, in your language: the codes to send and who may send each"""
        return {"items": list(QUICK_REPLIES.values())}
