"""The demo simulator: `make run` keeps dispatching for as long as it runs.

The demo responders that `flask safety seed-demo` creates (safety/seed.py, RESPONDERS) have no
phones behind them: without help their positions go stale after RESPONDER_STALE_S and every
panic after that is `unassigned`, and nobody ever answers an offer. While `make run` runs
(`RUN_DEMO_SIMULATOR=1`, development only: refused in production, ignored by the tests' apps),
this simulator plays their phones:

- it keeps them on duty, with fresh positions that move slowly (a walk inside the demo
  organisation's coverage, drawn back towards where each one started);
- it answers an offer a demo responder has not answered after DEMO_ANSWER_DELAY_S (a random
  time in a range, 8-15 s by default): accept; then en route after DEMO_STEP_DELAY_S, drives to
  her at DEMO_SPEED_MPS (at most a minute and a half, unless that would be faster than
  RESPONDER_MAX_SPEED_MPS believes), on scene when there, resolved after another
  DEMO_STEP_DELAY_S. While it holds a dispatch, its phone posts the responder's position on the
  dispatch every RESPONDER_POSITION_MIN_INTERVAL_S, as a responder's app does: she and her
  guardians see who is coming, how far away and about when.

Everything goes through the service functions the API calls (duty, location, accept, status,
the position on the dispatch),
so pushes, webhooks, the outbox and every answer are what they would be for a person. Each step
is logged (logger `safety.demo`) as a line of the story.

A person comes first. Whoever logs in as a demo responder and answers an offer (accept or
decline) has answered it; a dispatch the simulator accepted that a person then moves on
through the API is left to that person; a demo responder a person takes off duty stays off
duty; a position reported through the API is not overwritten while it is fresh (for half of
RESPONDER_STALE_S).

`DemoSimulator.tick()` does one pass at the app's clock (`safety.util.utcnow`), so tests drive
it step by step; `start_demo_simulator(app)` runs it on a daemon thread every DEMO_TICK_S.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from shapely.geometry import Point, shape
from sqlalchemy import select

from safety import geo
from safety.accounts.models import User
from safety.alerts.models import Alert
from safety.dispatch import coming, queries, responders
from safety.dispatch import offers as dispatch_offers
from safety.dispatch.models import HELD, Dispatch, ResponderState
from safety.errors import DomainError
from safety.extensions import db
from safety.orgs.models import Organization, OrgMember
from safety.seed import CONSOLE_RESPONDERS, ORG_NAME, RESPONDERS
from safety.util import utcnow

log = logging.getLogger(__name__)
story = logging.getLogger("safety.demo")

NOTE = "demo simulator"  # on the dispatches it moves on: it picks them up again after a restart
EXTENSION = "safety_demo"
WALK_MPS = 1.4  # a responder on duty, between calls
HOME_RADIUS_M = 1500  # ...drawn back towards their starting spot beyond this
ARRIVED_M = 30
MAX_TRAVEL_S = 90
METRES_PER_DEGREE = 111_320.0


@dataclass
class Held:
    """A dispatch the simulator answered, and what it expects to find next time."""

    responder_id: uuid.UUID
    status: str
    next_at: datetime
    speed_mps: float = 0.0


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance between (lat, lon) points: plenty for a few kilometres."""
    mean_lat = math.radians((a[0] + b[0]) / 2)
    dy = (b[0] - a[0]) * METRES_PER_DEGREE
    dx = (b[1] - a[1]) * METRES_PER_DEGREE * math.cos(mean_lat)
    return math.hypot(dx, dy)


def _moved(at: tuple[float, float], heading: float, metres: float) -> tuple[float, float]:
    lat, lon = at
    return (lat + metres * math.cos(heading) / METRES_PER_DEGREE,
            lon + metres * math.sin(heading) / (METRES_PER_DEGREE * math.cos(math.radians(lat))))


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = b[0] - a[0]
    dx = (b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.atan2(dx, dy)


def _towards(a: tuple[float, float], b: tuple[float, float], metres: float) -> tuple[float, float]:
    left = _metres(a, b)
    return b if left <= metres else _moved(a, _bearing(a, b), metres)


def _where(state: ResponderState) -> tuple[float, float] | None:
    point = geo.to_geojson(state.location)
    return (point["coordinates"][1], point["coordinates"][0]) if point else None


class DemoSimulator:
    def __init__(self, app: Flask, rng: random.Random | None = None) -> None:
        self.app = app
        self.rng = rng or random.Random()
        cfg = app.config
        self.answer_delay = cfg["DEMO_ANSWER_DELAY_S"]
        self.step_delay = cfg["DEMO_STEP_DELAY_S"]
        self.speed = max(cfg["DEMO_SPEED_MPS"], 0.1)
        self.held: dict[uuid.UUID, Held] = {}
        self.answer_at: dict[uuid.UUID, datetime] = {}  # offer id -> when it answers it
        self.seen: set[uuid.UUID] = set()  # responders it has looked after since it started
        self.gave_up: set[uuid.UUID] = set()  # offers it could not accept
        self.wrote: dict[uuid.UUID, datetime] = {}  # responder -> the location_at it wrote
        self.posted: dict[uuid.UUID, datetime] = {}  # dispatch -> when it last posted on it
        self.heading: dict[uuid.UUID, float] = {}
        self.last_tick: datetime | None = None
        self.said: set[tuple] = set()  # things said once

    # -- one pass ------------------------------------------------------------------------------

    def tick(self) -> None:
        """One pass: progress the dispatches it holds, move the responders, answer offers."""
        with self.app.app_context():
            try:
                self._tick()
            finally:
                db.session.rollback()
                db.session.remove()

    def _tick(self) -> None:
        now = utcnow()
        org = db.session.scalar(select(Organization).where(Organization.name == ORG_NAME))
        responders = self._responders(org)
        if not responders:
            self._once(("no demo",), "no demo responders: run `flask --app wsgi safety "
                       "seed-demo` (make run does); the simulator waits")
            return
        coverage = shape(geo.to_geojson(org.coverage))
        homes = {phone: spot for phone, _name, spot in RESPONDERS + CONSOLE_RESPONDERS}
        if self.last_tick is None:
            self._pick_up(responders, now)
        dt = 0.0 if self.last_tick is None else (now - self.last_tick).total_seconds()
        self.last_tick = now
        for user in responders:
            self._progress(user, now)
        for user in responders:
            self._move(user, homes[user.phone], coverage, now, dt)
        seen_offers: set[uuid.UUID] = set()
        for user in responders:
            seen_offers |= self._answer_offers(user, now)
        # forget offers that are no longer open (answered, by it or a person, or expired)
        self.answer_at = {k: v for k, v in self.answer_at.items() if k in seen_offers}
        self.gave_up &= seen_offers

    def _responders(self, org: Organization | None) -> list[User]:
        if org is None:
            return []
        # the console's demo responders too (seed_console_demo): they keep moving
        phones = [phone for phone, _name, _spot in RESPONDERS + CONSOLE_RESPONDERS]
        return list(db.session.scalars(
            select(User).join(OrgMember, OrgMember.user_id == User.id)
            .where(User.phone.in_(phones), OrgMember.org_id == org.id,
                   OrgMember.role == "responder").order_by(User.phone)))

    def _pick_up(self, responders: list[User], now: datetime) -> None:
        """After a restart: the dispatches it was moving on (they carry its note) are its own
        again; one a demo responder holds without the note is a person's, and is left alone."""
        for d in db.session.scalars(select(Dispatch).where(
                Dispatch.responder_id.in_([u.id for u in responders]),
                Dispatch.status.in_(HELD))):
            name = next(u.full_name for u in responders if u.id == d.responder_id)
            if d.note == NOTE:
                held = self.held[d.id] = Held(d.responder_id, d.status,
                                              self._after(self.step_delay, now))
                if d.status == "en_route":
                    user = next(u for u in responders if u.id == d.responder_id)
                    held.speed_mps = self._travel_speed(user)
                    held.next_at = now
                story.info("%s still holds dispatch %s (%s): carrying on", name,
                           d.id.hex[:8], d.status.replace("_", " "))
            else:
                story.info("%s holds dispatch %s (%s), answered by a person through the API: "
                           "left to them", name, d.id.hex[:8], d.status.replace("_", " "))

    # -- positions -----------------------------------------------------------------------------

    def _move(self, user: User, home: tuple[float, float], coverage, now: datetime,
              dt: float) -> None:
        state = db.session.get(ResponderState, user.id)
        here = _where(state) if state is not None else None
        if user.id not in self.seen:  # first sight: on duty (again), wherever they are
            self.seen.add(user.id)
            if state is None or here is None or not state.on_duty:
                here = here or home
                responders.set_duty(user, True, {"lat": here[0], "lon": here[1]})
                self._commit_location(user)
                story.info("%s is on duty at %.4f, %.4f", user.full_name, *here)
                return
            self.wrote[user.id] = state.location_at
        if not state.on_duty:
            self._once(("off duty", user.id), "%s went off duty through the API: the simulator "
                       "leaves them off duty", user.full_name)
            return
        self.said.discard(("off duty", user.id))
        stale_s = self.app.config["RESPONDER_STALE_S"]
        if self.wrote.get(user.id) != state.location_at and state.location_at is not None \
                and now - state.location_at < timedelta(seconds=stale_s / 2):
            self._once(("api position", user.id), "%s reports a position through the API: the "
                       "simulator stops moving them while it is fresh", user.full_name)
            return
        self.said.discard(("api position", user.id))
        did, held = next(((d, h) for d, h in self.held.items() if h.responder_id == user.id),
                         (None, None))
        if held is not None and held.status == "en_route":
            her = self._her(user)
            there = _towards(here, her, held.speed_mps * dt) if her else here
        elif held is not None:
            there = here  # accepted (not moving yet) or on scene
        else:
            there = self._walk(user.id, here, home, coverage, min(dt, 60.0))
        if did is not None:
            self._post_on_dispatch(user, did, there, now)
            return
        refresh = min(15.0, stale_s / 3)
        if there == here and state.location_at is not None and \
                now - state.location_at < timedelta(seconds=refresh):
            return
        responders.update_location(user, {"lat": there[0], "lon": there[1]})
        self._commit_location(user)

    def _post_on_dispatch(self, user: User, did: uuid.UUID, there: tuple[float, float],
                          now: datetime) -> None:
        """The responder's phone while they hold a dispatch: the position goes on the dispatch
        (she sees it), at most every RESPONDER_POSITION_MIN_INTERVAL_S."""
        last = self.posted.get(did)
        gap = self.app.config["RESPONDER_POSITION_MIN_INTERVAL_S"]
        if last is not None and (now - last).total_seconds() < gap:
            return
        where = {"lat": there[0], "lon": there[1]}
        try:
            coming.post_position(user, did, where)
        except DomainError as exc:  # the dispatch ended meanwhile, or a refused position
            db.session.rollback()
            log.info("demo position for dispatch %s not taken: %s", did.hex[:8], exc.detail)
            responders.update_location(user, where)
        self.posted[did] = now
        self._commit_location(user)

    def _walk(self, who: uuid.UUID, here: tuple[float, float], home: tuple[float, float],
              coverage, seconds: float) -> tuple[float, float]:
        if _metres(here, home) > HOME_RADIUS_M:
            heading = _bearing(here, home)
        else:
            heading = self.heading.get(who, self.rng.uniform(-math.pi, math.pi)) + \
                self.rng.gauss(0, 0.6)
        step = WALK_MPS * seconds
        there = _moved(here, heading, step)
        if not coverage.contains(Point(there[1], there[0])):
            heading += math.pi
            there = _towards(here, home, step)
        self.heading[who] = heading
        return there

    def _commit_location(self, user: User) -> None:
        db.session.commit()
        state = db.session.get(ResponderState, user.id)
        self.wrote[user.id] = state.location_at

    def _her(self, user: User) -> tuple[float, float] | None:
        d = db.session.scalar(select(Dispatch).where(Dispatch.responder_id == user.id,
                                                     Dispatch.status.in_(HELD)))
        alert = db.session.get(Alert, d.alert_id) if d is not None else None
        return (alert.lat, alert.lon) if alert is not None and alert.lat is not None else None

    # -- offers and dispatches -----------------------------------------------------------------

    def _answer_offers(self, user: User, now: datetime) -> set[uuid.UUID]:
        """Accept the offers whose time has come; returns the ids of the open ones."""
        offers = [row.offer for row in queries.open_offers(user)]
        open_ids = {offer.id for offer in offers}
        if db.session.scalar(select(Dispatch.id).where(Dispatch.responder_id == user.id,
                                                       Dispatch.status.in_(HELD))):
            return open_ids  # busy: one dispatch at a time
        for offer in offers:
            if offer.id in self.gave_up:
                continue
            alert = db.session.get(Alert, offer.dispatch.alert_id)
            who, km = alert.owner.full_name, offer.distance_m / 1000
            if offer.id not in self.answer_at:
                self.answer_at[offer.id] = self._after(self.answer_delay, offer.created_at)
                story.info("%s has an offer for %s's alert, %.1f km away: accepts it in %.0f s "
                           "unless a person logged in as them answers first", user.full_name,
                           who, km, (self.answer_at[offer.id] - now).total_seconds())
            if now < self.answer_at[offer.id]:
                continue
            waited = (now - offer.created_at).total_seconds()
            try:
                d = dispatch_offers.accept(user, offer.dispatch_id)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                self.gave_up.add(offer.id)
                story.info("%s could not accept the offer for %s's alert: %s", user.full_name,
                           who, exc.detail)
                continue
            self.held[d.id] = Held(user.id, "accepted", self._after(self.step_delay, now))
            story.info("%s accepts the offer for %s's alert, %.1f km away (%.0f s after it "
                       "came; dispatch %s)", user.full_name, who, km, waited, d.id.hex[:8])
            break  # one dispatch at a time
        return open_ids

    def _progress(self, user: User, now: datetime) -> None:
        for did, held in list(self.held.items()):
            if held.responder_id != user.id:
                continue
            d = db.session.get(Dispatch, did)
            if d is None or d.responder_id != user.id or d.status != held.status:
                del self.held[did]
                self.posted.pop(did, None)
                self._let_go(user, d)
                continue
            if now < held.next_at:
                continue
            alert = db.session.get(Alert, d.alert_id)
            state = db.session.get(ResponderState, user.id)
            here = _where(state) if state is not None else None
            her = (alert.lat, alert.lon)
            if held.status == "accepted":
                nxt = "en_route"
            elif held.status == "en_route":
                if here is not None and _metres(here, her) > ARRIVED_M:
                    continue  # still driving (see _move)
                nxt = "on_scene"
            else:
                nxt = "resolved"
            try:
                dispatch_offers.set_status(user, did, nxt, NOTE)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                del self.held[did]
                self.posted.pop(did, None)
                story.info("%s could not report %s: %s", user.full_name, nxt, exc.detail)
                continue
            who = alert.owner.full_name
            if nxt == "en_route":
                far = _metres(here, her) if here is not None else 0.0
                held.speed_mps = self._travel_speed(user)
                held.next_at = now
                story.info("%s is en route to %s, %.1f km away (about %.0f s)",
                           user.full_name, who, far / 1000, far / held.speed_mps)
            elif nxt == "on_scene":
                held.next_at = self._after(self.step_delay, now)
                story.info("%s is on scene with %s", user.full_name, who)
            else:
                del self.held[did]
                self.posted.pop(did, None)
                story.info("%s resolved %s's alert: she is safe (dispatch %s)",
                           user.full_name, who, did.hex[:8])
                continue
            held.status = nxt

    def _let_go(self, user: User, d: Dispatch | None) -> None:
        if d is not None and d.status == "canceled":
            story.info("%s stands down: %s's alert was canceled", user.full_name,
                       db.session.get(Alert, d.alert_id).owner.full_name)
        else:
            story.info("%s's dispatch %s was moved on through the API (now %s): the "
                       "simulator leaves it to the person", user.full_name,
                       (d.id.hex[:8] if d else "?"), d.status if d else "gone")

    # -- helpers -------------------------------------------------------------------------------

    def _travel_speed(self, user: User) -> float:
        """DEMO_SPEED_MPS, or faster when she is far: nobody waits more than MAX_TRAVEL_S; but
        never so fast that the positions it posts would not be believed."""
        state = db.session.get(ResponderState, user.id)
        here, her = (_where(state) if state else None), self._her(user)
        far = _metres(here, her) if here and her else 0.0
        believable = 0.9 * self.app.config["RESPONDER_MAX_SPEED_MPS"]
        return min(max(self.speed, far / MAX_TRAVEL_S), believable)

    def _after(self, span: tuple[float, float], start: datetime) -> datetime:
        return start + timedelta(seconds=self.rng.uniform(*span))

    def _once(self, key: tuple, message: str, *args) -> None:
        if key not in self.said:
            self.said.add(key)
            story.info(message, *args)

    # -- the thread ----------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        story.info("demo simulator started: demo responders stay on duty and answer offers "
                   "after %g-%g s unless a person answers first", *self.answer_delay)
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # a database blip must not end the demo
                log.exception("demo simulator pass failed; trying again")
            stop.wait(self.app.config["DEMO_TICK_S"])


def start_demo_simulator(app: Flask) -> threading.Thread:
    """The simulator on a daemon thread (`make run`: RUN_DEMO_SIMULATOR=1)."""
    stop = threading.Event()
    simulator = DemoSimulator(app)
    thread = threading.Thread(target=simulator.run_forever, args=(stop,),
                              name="demo-simulator", daemon=True)
    thread.start()
    app.extensions[EXTENSION] = (simulator, stop, thread)
    return thread
