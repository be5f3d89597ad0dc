"""`returnkit webhooks trigger PROVIDER EVENT --to URL [--secret S] [--owner O] [--date wall|virtual]`

Sends one sample event, as the mock server would, to a handler under development: the body is the
spec's example for the event (`webhooks` in the provider's spec), checked against its schema
first; it is signed with `--secret` (or the secret a new subscription would get, printed) and
POSTed once, with no proxies and no redirects followed. Prints what the handler answered and
whether the provider would count it as delivered. Exit status 0 when it would, 1 when not, 2 for
a usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from returnkit.core.jsonbytes import dumps
from returnkit.core.outbox import Delivery, RetryPolicy, Subscription, target_refusal
from returnkit.errors import ReturnkitError
from returnkit.providers.kit import ProviderKit
from returnkit.providers.wire import sentence

if TYPE_CHECKING:
    import httpx

    from returnkit.server.state import ServerState

EXIT_MET, EXIT_NOT_MET, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="returnkit webhooks", description="Send webhooks as a provider does.")
    commands = parser.add_subparsers(dest="command", required=True)
    trigger = commands.add_parser("trigger", help="send one signed sample event to a URL and show the answer")
    trigger.add_argument("provider", help="zinc, rye, aboutyou, kibo-commerce, kibo-oms")
    trigger.add_argument("event", help="an event the provider's spec declares (validate-payload --list shows them)")
    trigger.add_argument("--to", required=True, metavar="URL", help="the handler's URL")
    trigger.add_argument("--secret", default=None, help="the key to sign with (default: a seeded one, printed)")
    trigger.add_argument("--owner", default=None, help="the merchant, account or tenant (Kibo: the tenant id)")
    trigger.add_argument("--allow", action="append", default=[], metavar="HOST", help="a host off loopback to allow")
    trigger.add_argument(
        "--date", choices=("wall", "virtual"), default="wall", help="the time a signed Date carries (default wall)"
    )
    return parser


def main(argv: Sequence[str] | None = None, kits: Sequence[ProviderKit] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[2:] if argv is None else argv))
    try:
        return trigger(args, kits)
    except (ReturnkitError, LookupError, ValueError) as refused:
        print(f"returnkit webhooks trigger: error: {refused}", file=sys.stderr)
        return EXIT_USAGE


def trigger(args: argparse.Namespace, kits: Sequence[ProviderKit] | None) -> int:
    import httpx

    from returnkit.providers import default_kits
    from returnkit.server.state import ServerOptions, ServerState

    refusal = target_refusal(args.to, args.allow)
    if refusal is not None:
        raise ValueError(refusal.replace("start it with --webhook-allow", "give --allow"))
    server = ServerState.build(kits if kits is not None else default_kits(), ServerOptions(clock_mode="frozen"))
    kit = server.kits.get(args.provider)
    if kit is None or kit.webhooks is None:
        raise ValueError(f"{args.provider} sends no webhooks through returnkit")
    body = _sample(server, args.provider, args.event)
    draft = Subscription("wh_1", args.provider, args.to, args.owner, None, args.secret, "cli")
    why = kit.webhooks.check_subscription(server.worlds[args.provider], draft)
    if why is not None:
        raise ValueError(why)
    subscription = server.with_secret(draft)
    if args.secret is None and subscription.secret is not None:
        print(f"secret: {subscription.secret}")
    delivery = Delivery(1, args.provider, args.event, "", "wh_1", args.owner or "", "", body, 0.0, 0.0)
    sent_at = server.clock.now() if args.date == "virtual" else datetime.now(UTC).replace(microsecond=0)
    headers = kit.webhooks.headers(subscription, delivery, sent_at)
    policy = RetryPolicy.from_spec(server.catalog.spec(args.provider).document) or RetryPolicy()
    started = time.perf_counter()
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=policy.timeout) as client:
        try:
            answer = client.post(args.to, content=body, headers=headers)
        except httpx.HTTPError as failed:
            print(f"no answer: {type(failed).__name__}: {failed}")
            return EXIT_NOT_MET
    return _report(answer, (time.perf_counter() - started) * 1000, policy)


def _sample(server: ServerState, provider: str, event: str) -> bytes:
    operation = server.catalog.operation(provider, f"webhook:{event}")
    if operation.request_example is None:
        raise ValueError(f"{provider}'s spec gives no example for webhook:{event}")
    verdict = server.catalog.validate(provider, operation.operation_id, operation.request_example)
    if not verdict.valid:
        raise ValueError(f"the example of webhook:{event} breaks its schema: {sentence(verdict.errors[0])}")
    return dumps(operation.request_example)


def _report(answer: httpx.Response, elapsed_ms: float, policy: RetryPolicy) -> int:
    print(f"HTTP {answer.status_code} in {elapsed_ms:.0f} ms")
    for name, value in answer.headers.items():
        print(f"{name}: {value}")
    print()
    print(answer.text)
    met = policy.succeeded(answer.status_code)
    wanted = "any 2xx" if policy.success is None else " or ".join(str(s) for s in sorted(policy.success))
    print(f"{'delivered' if met else 'not delivered'}: the provider counts {wanted} within {policy.timeout:g} s")
    return EXIT_MET if met else EXIT_NOT_MET
