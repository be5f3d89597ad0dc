"""`returnkit webhooks trigger PROVIDER EVENT --to URL [--secret S] [--owner O] [--date wall|virtual]`

Sends one sample event, as the mock server would, to a handler under development: the body is the
spec's example for the event (`webhooks` in the provider's spec), checked against its schema
first; it is signed with `--secret` (or the secret a new subscription would get, printed) and
POSTed once, with no proxies and no redirects followed. Prints what the handler answered and
whether the provider would count it as delivered. Exit status 0 when it would, 1 when not, 2 for
a usage error.

A provider's URL verification event (Rye's `WEBHOOK_URL_VERIFICATION`) is sent as the mock sends
it when a URL is subscribed: with a seeded challenge; exit status 0 only if the handler's answer
passes the provider's check (Rye: a 2xx whose JSON body echoes the challenge).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from returnkit.core.jsonbytes import dumps, loads
from returnkit.core.outbox import Delivery, RetryPolicy, Subscription, target_refusal
from returnkit.errors import ReturnkitError
from returnkit.providers.kit import Handshake, ProviderKit
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
    policy = RetryPolicy.from_spec(server.catalog.spec(args.provider).document) or RetryPolicy()
    handshake = kit.webhooks.handshake(server.worlds[args.provider], subscription)
    if handshake is not None and _names_event(handshake, args.event):
        answer, elapsed_ms = _post(args.to, handshake.body, handshake.headers, policy.timeout)
        return EXIT_NOT_MET if answer is None else _report_verification(answer, elapsed_ms, handshake)
    delivery = Delivery(1, args.provider, args.event, "", "wh_1", args.owner or "", "", body, 0.0, 0.0)
    sent_at = server.clock.now() if args.date == "virtual" else datetime.now(UTC).replace(microsecond=0)
    headers = kit.webhooks.headers(subscription, delivery, sent_at)
    answer, elapsed_ms = _post(args.to, body, headers, policy.timeout)
    return EXIT_NOT_MET if answer is None else _report(answer, elapsed_ms, policy)


def _names_event(handshake: Handshake, event: str) -> bool:
    """Whether `event` is the provider's URL verification. `Handshake` carries no event name, so it
    is read from the body's envelope (`type`, where Rye names its events)."""
    try:
        document = loads(handshake.body)
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("type") == event


def _post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[httpx.Response | None, float]:
    """POST once (no proxies, no redirects); the answer, or None after printing why there was none."""
    import httpx

    started = time.perf_counter()
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=timeout) as client:
        try:
            answer = client.post(url, content=body, headers=dict(headers))
        except httpx.HTTPError as failed:
            print(f"no answer: {type(failed).__name__}: {failed}")
            return None, 0.0
    return answer, (time.perf_counter() - started) * 1000


def _sample(server: ServerState, provider: str, event: str) -> bytes:
    operation = server.catalog.operation(provider, f"webhook:{event}")
    if operation.request_example is None:
        raise ValueError(f"{provider}'s spec gives no example for webhook:{event}")
    verdict = server.catalog.validate(provider, operation.operation_id, operation.request_example)
    if not verdict.valid:
        raise ValueError(f"the example of webhook:{event} breaks its schema: {sentence(verdict.errors[0])}")
    return dumps(operation.request_example)


def _print_answer(answer: httpx.Response, elapsed_ms: float) -> None:
    print(f"HTTP {answer.status_code} in {elapsed_ms:.0f} ms")
    for name, value in answer.headers.items():
        print(f"{name}: {value}")
    print()
    print(answer.text)


def _report_verification(answer: httpx.Response, elapsed_ms: float, handshake: Handshake) -> int:
    _print_answer(answer, elapsed_ms)
    why = handshake.refusal(answer.status_code, answer.content)
    print("verified: the handler echoed the challenge" if why is None else f"not verified: {why}")
    return EXIT_MET if why is None else EXIT_NOT_MET


def _report(answer: httpx.Response, elapsed_ms: float, policy: RetryPolicy) -> int:
    _print_answer(answer, elapsed_ms)
    met = policy.succeeded(answer.status_code)
    wanted = "any 2xx" if policy.success is None else " or ".join(str(s) for s in sorted(policy.success))
    print(f"{'delivered' if met else 'not delivered'}: the provider counts {wanted} within {policy.timeout:g} s")
    return EXIT_MET if met else EXIT_NOT_MET
