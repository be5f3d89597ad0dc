"""`returnkit serve --webhook-allow HOST...` widens where webhooks may go; nothing else does."""

from __future__ import annotations

from pathlib import Path

import httpx

from returnkit.cli.main import build_parser
from returnkit.providers import default_kits
from returnkit.server.app import ServerOptions, create_app
from returnkit.testing.transport import ReturnkitTransport
from tests.webhooks.fake import pingo_kit


def test_an_allowed_host_may_subscribe_and_others_still_may_not(pingo_spec: Path) -> None:
    options = ServerOptions(clock_mode="frozen", webhook_allow=("hooks.example.com",))
    app = create_app(options, kits=[*default_kits(), pingo_kit(pingo_spec)])
    with httpx.Client(transport=ReturnkitTransport(app), base_url="http://rk") as client:
        allowed = client.post("/__admin/webhooks", json={"provider": "pingo", "url": "https://HOOKS.example.com/x"})
        assert allowed.status_code == 201
        other = client.post("/__admin/webhooks", json={"provider": "pingo", "url": "https://evil.example.com/x"})
        assert other.status_code == 400
        assert "--webhook-allow evil.example.com" in other.json()["message"]


def test_serve_takes_several_hosts_and_the_date_choice() -> None:
    args = build_parser().parse_args(["serve", "--webhook-allow", "a.test", "b.test", "--webhook-date", "virtual"])
    assert (args.webhook_allow, args.webhook_date) == (["a.test", "b.test"], "virtual")
    assert build_parser().parse_args(["serve"]).webhook_allow == []
