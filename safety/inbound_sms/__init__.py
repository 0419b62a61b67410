"""SMS when there is no data: the SMS provider forwards what she texts to the service's number
(POST /api/v1/sms/inbound[/twilio]), and a verified phone can raise an alert, check in or extend
a safety timer, and cancel her alert. See docs/sms-inbound.md."""
