"""Webhooks go to public addresses only: checked when the URL is saved, and on the resolved
addresses at every delivery (DNS rebinding); the connection goes to the checked address with
TLS verified for the URL's host name; redirects are never followed.

Everything here runs on loopback: receivers (the `fake_http` fixture) listen on 127.0.0.1, and
names are made to resolve through `webhook.resolve_host`, the resolver hook of our own code.
"""

import datetime
import ipaddress
import json
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from safety.config import ConfigError, load_config
from safety.extensions import db
from safety.notify import service as notify
from safety.notify.channels import webhook

SECRET = "s3cret-webhook-key-0123"


@pytest.fixture
def resolve(monkeypatch):
    """Make names resolve to given addresses (and only those names)."""
    table = {}

    def fake(host, port):
        if host not in table:
            raise OSError(f"no such name in the test resolver: {host}")
        return table[host]

    monkeypatch.setattr(webhook, "resolve_host", fake)
    return table


@pytest.fixture
def deliver(drain, jobs):
    def deliver(app, url):
        """One webhook job for `url`, enqueued by our own code, then a worker pass."""
        with app.app_context():
            notify.send_webhook(url, SECRET, "dispatch.offered", {"hello": "world"})
            db.session.commit()
        drain(app)
        [job] = jobs(app, kind="webhook")
        return job

    return deliver


# -- the address classifier --------------------------------------------------------------------

PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.1", "172.32.0.1",
          "11.0.0.1", "2606:4700:4700::1111", "2a00:1450:4001:81c::200e",
          "64:ff9b::808:808"]  # NAT64 of 8.8.8.8
NOT_PUBLIC = [
    "127.0.0.1", "127.255.255.254",  # loopback
    "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",  # private
    "169.254.169.254",  # link-local: the cloud metadata service
    "100.64.0.1", "100.127.255.254",  # CGNAT shared space
    "0.0.0.0", "0.1.2.3",  # unspecified, "this network"
    "255.255.255.255", "240.0.0.1",  # broadcast, reserved
    "224.0.0.1", "239.255.255.250",  # multicast
    "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "192.0.0.8",  # doc, bench, IETF
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1",  # v6 local kinds
    "ff02::1", "ff0e::1",  # v6 multicast
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:100.64.0.1",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b:1::808:808",  # NAT64 of private; local NAT64
    "2002:7f00:1::1", "2002:808:808::1",  # 6to4
    "2001:0:53aa:64c::1",  # Teredo
    "2001:db8::1", "3fff::1", "100::1",  # documentation, discard
    "192.88.99.1", "5f00::1",  # 6to4 relay anycast, SRv6
    "not an address", "", "localhost", "2130706433",
]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert webhook.is_public_address(address)


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_are_refused(address):
    assert not webhook.is_public_address(address)


def test_the_classifier_takes_ipaddress_objects():
    assert webhook.is_public_address(ipaddress.ip_address("8.8.4.4"))
    assert not webhook.is_public_address(ipaddress.ip_address("::ffff:192.168.0.1"))


# -- when the URL is saved ---------------------------------------------------------------------

BAD_URLS = [
    ("http://hooks.example.com/safety", "https"),
    ("https://user:pw@hooks.example.com/safety", "credentials"),
    ("https://token@hooks.example.com/safety", "credentials"),
    ("https://127.0.0.1/hook", "public"),
    ("https://10.0.0.5/hook", "public"),
    ("https://169.254.169.254/latest/meta-data", "public"),
    ("https://100.64.0.1/hook", "public"),
    ("https://[::1]/hook", "public"),
    ("https://[::ffff:127.0.0.1]/hook", "public"),
    ("https://[fd00::1]/hook", "public"),
    ("https://localhost:8443/hook", "public"),
    ("https://2130706433/hook", "valid url"),  # 127.0.0.1 written as a number
    ("ftp://hooks.example.com/x", "valid url"),
]


@pytest.mark.parametrize("url, words", BAD_URLS)
def test_bad_webhook_urls_are_422_and_nothing_changes(admin, url, words, create_org):
    org = create_org(admin, webhook_url="https://hooks.example.com/v1", webhook_secret=SECRET)
    r = admin.patch(f"/api/v1/orgs/{org['id']}", json={"webhook_url": url})
    assert r.status_code == 422, r.get_json()
    assert words in " ".join(r.get_json()["errors"]["webhook_url"]).lower()
    assert admin.get(f"/api/v1/orgs/{org['id']}").get_json()["webhook_url"] == \
        "https://hooks.example.com/v1"
    r = admin.post("/api/v1/orgs", json={"name": "X", "kind": "security",
                                          "phone": "+77272000000", "coverage": org["coverage"],
                                          "webhook_url": url, "webhook_secret": SECRET})
    assert r.status_code == 422


@pytest.mark.parametrize("url", ["https://hooks.example.com/safety?org=1",
                                 "https://hooks.example.com:8443/x", "https://8.8.8.8/hook",
                                 "https://[2606:4700:4700::1111]/hook", None])
def test_public_https_webhook_urls_are_saved(admin, url, create_org):
    org = create_org(admin)
    r = admin.patch(f"/api/v1/orgs/{org['id']}", json={"webhook_url": url})
    assert r.status_code == 200 and r.get_json()["webhook_url"] == url


def test_plain_http_to_this_machine_only_with_the_test_allowance(admin, private_webhooks,
                                                                 create_org):
    org = create_org(admin)
    r = admin.patch(f"/api/v1/orgs/{org['id']}", json={"webhook_url": "http://127.0.0.1:9/x"})
    assert r.status_code == 200


def test_the_allowance_is_refused_in_production(tmp_path):
    env = {"SAFETY_ENV": "production", "SECRET_KEY": "k" * 48,
           "PUBLIC_BASE_URL": "https://safety.example.kz",
           "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"}
    with pytest.raises(ConfigError, match="WEBHOOK_ALLOW_PRIVATE_NETWORKS"):
        load_config(env, instance_path=str(tmp_path))
    assert load_config({**env, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "false"},
                       instance_path=str(tmp_path))["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] is False


# -- at delivery -------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["127.0.0.1", "localhost", "2130706433", "[::ffff:127.0.0.1]"])
def test_delivery_to_this_machine_is_refused(app, fake_http, where, deliver):
    """Today's code POSTs there. The address is judged after resolving, whatever the URL says
    (a URL saved before these rules, or a number that spells 127.0.0.1)."""
    hook = fake_http()
    job = deliver(app, f"http://{where}:{hook.port}/hook")
    assert hook.requests == []
    assert job.status == "failed" and job.attempts == 1
    assert "not a public address" in job.last_error


def test_a_name_that_resolves_to_loopback_at_delivery_is_refused(app, world_with_hook, resolve,
                                                                 fake_http, panic, drain, jobs):
    """DNS rebinding: the URL was fine when saved; at delivery the name points at 127.0.0.1."""
    hook = fake_http()
    resolve["hooks.example.com"] = ["127.0.0.1"]
    panic(world_with_hook.user)
    drain(app)
    sent = jobs(app, kind="webhook")
    assert sent and all(j.status == "failed" and j.attempts == 1 for j in sent)
    assert all("hooks.example.com resolves to 127.0.0.1" in j.last_error for j in sent)
    assert hook.requests == []


def test_every_resolved_address_must_be_public(app, resolve, deliver):
    resolve["hooks.example.com"] = ["93.184.216.34", "10.0.0.7"]
    job = deliver(app, "https://hooks.example.com/hook")
    assert job.status == "failed" and "10.0.0.7" in job.last_error


def test_a_name_that_does_not_resolve_is_retried(app, resolve, deliver):
    job = deliver(app, "https://nowhere.example.com/hook")
    assert job.status == "pending" and "did not resolve" in job.last_error


def test_credentials_in_a_stored_url_are_refused_at_delivery(app, resolve, deliver):
    resolve["hooks.example.com"] = ["93.184.216.34"]
    job = deliver(app, "https://user:pw@hooks.example.com/hook")
    assert job.status == "failed" and "credentials" in job.last_error


def test_the_connection_goes_to_the_checked_address_with_the_host_header(
        app, fake_http, resolve, private_webhooks, deliver):
    """`webhook.test` exists only in our resolver: reaching the receiver proves the connection
    went to the address we checked, not to a second lookup."""
    hook = fake_http()
    resolve["webhook.test"] = ["127.0.0.1"]
    job = deliver(app, f"http://webhook.test:{hook.port}/hook?org=7")
    assert job.status == "sent", job.last_error
    [request] = hook.requests
    assert request.headers["Host"] == f"webhook.test:{hook.port}"
    assert json.loads(request.body)["event"] == "dispatch.offered"


def test_redirects_are_not_followed(app, fake_http, private_webhooks, deliver):
    elsewhere = fake_http()
    hook = fake_http(status=307,
                     headers={"Location": f"http://127.0.0.1:{elsewhere.port}/other"})
    job = deliver(app, f"http://127.0.0.1:{hook.port}/hook")
    assert len(hook.requests) == 1 and elsewhere.requests == []
    assert job.status == "failed" and "redirect" in job.last_error


# -- TLS: SNI and the certificate are checked for the URL's host name ---------------------------

def _cert(tmp_path, name, ca_key, ca_cert, issued_for):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issued_for)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(issued_for)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def tls(tmp_path, app, monkeypatch):
    """A throwaway CA that the webhook client trusts (WEBHOOK_CA_BUNDLE) and certificates."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Safety test CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .sign(ca_key, hashes.SHA256()))
    ca_path = tmp_path / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setitem(app.config, "WEBHOOK_CA_BUNDLE", str(ca_path))
    return lambda issued_for: _cert(tmp_path, issued_for, ca_key, ca_cert, issued_for)


def test_https_to_the_pinned_address_verifies_the_hosts_certificate(
        app, fake_http, resolve, tls, private_webhooks, deliver):
    hook = fake_http(tls=tls("webhook.test"))
    resolve["webhook.test"] = ["127.0.0.1"]
    job = deliver(app, f"https://webhook.test:{hook.port}/hook")
    assert job.status == "sent", job.last_error
    assert hook.sni == ["webhook.test"]
    assert hook.requests[0].headers["Host"] == f"webhook.test:{hook.port}"


def test_a_certificate_for_another_name_is_refused(app, fake_http, resolve, tls,
                                                   private_webhooks, deliver):
    hook = fake_http(tls=tls("other.test"))
    resolve["webhook.test"] = ["127.0.0.1"]
    job = deliver(app, f"https://webhook.test:{hook.port}/hook")
    assert hook.requests == []
    assert job.status == "pending" and "doesn't match 'other.test'" in job.last_error


def test_a_certificate_from_an_untrusted_ca_is_refused(app, fake_http, resolve, tls,
                                                      private_webhooks, monkeypatch, deliver):
    hook = fake_http(tls=tls("webhook.test"))
    monkeypatch.setitem(app.config, "WEBHOOK_CA_BUNDLE", None)  # the public CAs only
    resolve["webhook.test"] = ["127.0.0.1"]
    job = deliver(app, f"https://webhook.test:{hook.port}/hook")
    assert hook.requests == []
    assert job.status == "pending" and "certificate verify failed" in job.last_error


# -- a world whose organisation has a (public) webhook -----------------------------------------

@pytest.fixture
def world_with_hook(admin, make_person, user, create_org, add_member, on_duty):
    class W:
        pass

    w = W()
    w.user = user
    org = create_org(admin, webhook_url="https://hooks.example.com/safety",
                     webhook_secret=SECRET)
    responder = make_person(name="r")
    add_member(admin, org["id"], responder, "responder")
    on_duty(responder, 300)
    w.org_id = uuid.UUID(org["id"])
    return w
