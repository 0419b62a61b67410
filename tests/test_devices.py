"""A push token belongs to one account at a time: registering it from another account moves it,
and the previous owner's device row is retired with a reason, so her notifications never reach a
phone that now belongs to someone else."""


from safety.extensions import db


def put(person, installation, token):
    r = person.put(f"/api/v1/me/devices/{installation}",
                   json={"push_token": token, "platform": "android"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def devices(app):
    from safety.notify.models import Device

    with app.app_context():
        rows = {(d.user_id, d.installation_id): (d.push_token, d.retired_at is None,
                                                 d.retired_reason)
                for d in db.session.query(Device)}
        db.session.remove()
        return rows


def test_the_same_token_again_keeps_one_active_device(app, user):
    put(user, "inst", "tok")
    assert put(user, "inst", "tok")["active"] is True
    assert devices(app) == {(user.id, "inst"): ("tok", True, None)}


def test_a_token_registered_by_another_account_moves_there(app, user, stranger):
    put(user, "hers", "tok")
    assert put(stranger, "his", "tok")["active"] is True
    assert devices(app) == {
        (user.id, "hers"): ("tok", False, "push token registered by another account"),
        (stranger.id, "his"): ("tok", True, None),
    }


def test_the_same_installation_id_on_another_account_retires_nothing(app, user, stranger):
    """Installation ids are chosen by the app and prove nothing: a colliding or guessed id must
    not silence her phone. Only the push token (which reaches one phone) moves a device."""
    put(user, "phone-1", "tok-hers")
    put(stranger, "phone-1", "tok-his")
    assert devices(app) == {
        (user.id, "phone-1"): ("tok-hers", True, None),
        (stranger.id, "phone-1"): ("tok-his", True, None),
    }


def test_the_same_installation_and_token_on_another_account_moves(app, user, stranger):
    """Her phone logged into his account (same installation, same token)."""
    put(user, "phone-1", "tok")
    put(stranger, "phone-1", "tok")
    assert devices(app) == {
        (user.id, "phone-1"): ("tok", False, "push token registered by another account"),
        (stranger.id, "phone-1"): ("tok", True, None),
    }


def test_registering_back_moves_it_back(app, user, stranger):
    put(user, "phone-1", "tok")
    put(stranger, "phone-1", "tok")
    assert put(user, "phone-1", "tok")["active"] is True
    assert devices(app) == {
        (user.id, "phone-1"): ("tok", True, None),
        (stranger.id, "phone-1"): ("tok", False, "push token registered by another account"),
    }


def test_a_new_installation_of_the_same_account_takes_the_token(app, user):
    put(user, "old-install", "tok")
    put(user, "new-install", "tok")
    assert devices(app) == {
        (user.id, "old-install"): ("tok", False,
                                   "push token re-registered by another installation"),
        (user.id, "new-install"): ("tok", True, None),
    }


def test_two_accounts_two_phones_do_not_disturb_each_other(app, user, stranger):
    put(user, "phone-1", "tok-1")
    put(stranger, "phone-2", "tok-2")
    assert all(active for _, active, _ in devices(app).values())


def test_a_push_for_the_previous_owner_never_reaches_the_moved_token(app, user, make_person, fcm,
                                                                     make_guardian, panic, drain,
                                                                     jobs):
    """A push queued for her guardian's phone before the phone changed hands is not sent to
    the token that now belongs to another account."""
    mom = make_person(name="Mom")
    make_guardian(user, mom)
    put(mom, "moms-phone", "tok-shared")
    panic(user)  # the push job for mom's device is queued, not yet sent
    other = make_person(name="New owner")
    put(other, "moms-phone", "tok-shared")
    drain(app)
    (job,) = jobs(app, kind="alert")
    assert job.status == "failed" and "retired" in job.last_error
    assert fcm.sent_to("tok-shared") == []
