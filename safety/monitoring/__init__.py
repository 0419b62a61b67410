"""Partner monitoring stations: an organisation's alarm receiving centres (SIA DC-09 receivers,
managed by platform admins) and what they are told of her alerts, as Contact ID events
(safety/monitoring/stations.py; sent by safety/notify/channels/dc09.py). docs/partner-onboarding.md
is the partner's side of it."""
