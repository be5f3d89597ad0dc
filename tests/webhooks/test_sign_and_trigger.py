"""`returnkit.webhooks.sign/verify` and `returnkit webhooks trigger`, against Pingo and a loopback receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

import returnkit.webhooks
from returnkit.cli.main import main as returnkit_main
from returnkit.cli.webhooks import main as webhooks_main
from tests.webhooks.fake import SIGNATURE, pingo_kit
from tests.webhooks.receiver import Receiver

SECRET = "pg_whsec_given"  # noqa: S105 (a test key)


def test_sign_and_verify_use_the_providers_recipe(pingo_spec: Path) -> None:
    kits = [pingo_kit(pingo_spec)]
    body = {"event": "ping.created", "ping": "P1"}
    headers = returnkit.webhooks.sign("pingo", body, SECRET, kits=kits)
    raw = b'{"event":"ping.created","ping":"P1"}'  # compact, as the server sends it
    assert headers == {SIGNATURE: hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()}
    assert returnkit.webhooks.verify("pingo", headers, raw, SECRET, kits=kits)
    assert not returnkit.webhooks.verify("pingo", headers, raw + b" ", SECRET, kits=kits)
    assert not returnkit.webhooks.verify("pingo", headers, raw, "another", kits=kits)


def test_sign_names_an_unknown_provider_and_one_without_webhooks() -> None:
    with pytest.raises(LookupError, match="zinc"):
        returnkit.webhooks.sign("zinq", b"{}", SECRET)


def test_trigger_sends_the_specs_example_signed_and_says_it_was_delivered(
    pingo_spec: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["trigger", "pingo", "ping.created", "--to", receiver.url, "--secret", SECRET]
    assert webhooks_main(argv, kits=[pingo_kit(pingo_spec)]) == 0
    (arrived,) = receiver.received
    assert json.loads(arrived.body)["event"] == "ping.created"
    assert receiver.header(0, SIGNATURE) == hmac.new(SECRET.encode(), arrived.body, hashlib.sha256).hexdigest()
    out = capsys.readouterr().out
    assert out.startswith("HTTP 200 in ")
    assert "delivered: the provider counts any 2xx within 2 s" in out


def test_trigger_prints_the_seeded_secret_when_none_is_given_and_fails_on_a_500(
    pingo_spec: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.status = 500
    assert webhooks_main(["trigger", "pingo", "ping.created", "--to", receiver.url], kits=[pingo_kit(pingo_spec)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("secret: pg_whsec_0_1\n")
    assert "not delivered" in out
    assert (
        receiver.header(0, SIGNATURE)
        == hmac.new(b"pg_whsec_0_1", receiver.received[0].body, hashlib.sha256).hexdigest()
    )


def test_trigger_refuses_a_target_off_loopback_an_event_without_example_and_an_unknown_provider(
    pingo_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kits = [pingo_kit(pingo_spec)]
    assert webhooks_main(["trigger", "pingo", "ping.created", "--to", "http://hooks.example.com/"], kits=kits) == 2
    assert "give --allow hooks.example.com" in capsys.readouterr().err
    assert webhooks_main(["trigger", "pingo", "ping.answered", "--to", "http://127.0.0.1:9/"], kits=kits) == 2
    assert "no example for webhook:ping.answered" in capsys.readouterr().err
    assert returnkit_main(["webhooks", "trigger", "nobody", "x", "--to", "http://127.0.0.1:9/"]) == 2
    assert "nobody" in capsys.readouterr().err


def test_trigger_rye_url_verification_exits_0_only_when_the_handler_echoes_the_challenge(
    receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["webhooks", "trigger", "rye", "WEBHOOK_URL_VERIFICATION", "--to", receiver.url, "--secret", SECRET]
    assert returnkit_main(argv) == 1  # the receiver answers 200 "ok": no challenge echoed
    assert "not verified: the URL answered 200 with 'ok'" in capsys.readouterr().out
    sent = json.loads(receiver.received[0].body)
    assert sent["type"] == "WEBHOOK_URL_VERIFICATION"
    expected = base64.b64encode(hmac.new(SECRET.encode(), receiver.received[0].body, hashlib.sha256).digest())
    assert receiver.header(0, "Rye-Hmac-Signature-V1") == expected.decode()  # docs.rye.com/webhooks: base64 HMAC
    receiver.reply = json.dumps({"challenge": sent["data"]["challenge"]}).encode()
    assert returnkit_main(argv) == 0
    assert capsys.readouterr().out.rstrip().endswith("verified: the handler echoed the challenge")
    assert receiver.received[1].body == receiver.received[0].body  # the same seeded challenge each time
    receiver.reply = json.dumps({"challenge": "0" * 96}).encode()
    assert returnkit_main(argv) == 1
    assert "not verified" in capsys.readouterr().out
