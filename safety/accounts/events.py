"""What happens to an account that other features act on (see `safety.events`)."""

from safety.events import signals

pin_duress = signals.signal("account.pin-duress", doc="""Her PIN was changed with her duress PIN
(the PINs he chose became decoys). Keyword argument: `user`. Her guardians are told
(`safety.contacts.service.tell_guardians_pin_duress`).""")
