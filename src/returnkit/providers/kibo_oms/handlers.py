"""One function per Kibo OMS operation: request -> store changes -> response.

Returns are OPEN when created, CLOSED once processed (items ACCEPTED or REJECTED by the
accepted quantity, all accepted when none is given), OPEN again when reopened (docs: process,
reopen, return event notifications; the transitions are x-returnkit-inferred). Every change of
status, creation included, goes through `behaviour.transition`; nothing changes on the clock alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from returnkit.core.records import RecordFilter
from returnkit.providers.kibo_oms import auth
from returnkit.providers.kibo_oms.behaviour import transition
from returnkit.providers.kibo_oms.errors import coded_refusal, oauth_error
from returnkit.providers.kibo_oms.records import LOCATIONS, ORDERS, PROVIDER, RETURNS, OmsOrder, OmsReturn
from returnkit.providers.kibo_oms.world import oms_time
from returnkit.providers.kit import Handler, ParameterError, Request, World, int_param
from returnkit.providers.wire import WireResponse

SEARCHABLE = ("returnID", "orderID", "shipmentID", "status")
STATUSES = ("OPEN", "PROCESSING", "CLOSED")
ECHOED_ITEM_FIELDS = ("orderItemUnits", "options", "giftCardInfo")  # kept as sent (the create page lists them)
LAST_PAGE = 2**31 - 1  # x-returnkit-inferred: a 32-bit page number

ID_DIGITS = 19
ID_MAX = 2**63 - 1  # x-returnkit-inferred: OMS ids are 64-bit; a longer one is a malformed id, not a lookup


def refuse_empty(request: Request, names: tuple[str, ...]) -> None:
    """`?perPage=` is an invalid value, not an absent parameter (x-returnkit-inferred; 5014)."""
    for name in names:
        if request.param(name) == "":
            raise ParameterError(name, "an empty value is not valid", "")


def token(request: Request, world: World) -> WireResponse:
    manufacturer = auth.manufacturer_by_basic(world, request.headers.get("authorization", ""))
    if manufacturer is None:
        raise oauth_error(401, "invalid_client", "Client authentication failed.")
    if request.payload.get("grant_type") != "client_credentials":
        raise oauth_error(400, "unsupported_grant_type", "Use client_credentials.")
    return WireResponse(200, auth.issue_token(world, manufacturer))


def create_return(request: Request, world: World) -> WireResponse:
    body = request.payload
    refuse_empty(request, ("orderID", "shipmentID"))
    order = _order_for(request, world, body)
    lines = {item["orderItemID"]: item for item in order["items"]}
    asked = Counter[int]()
    for wanted in body["item"]:
        asked[wanted["orderItemID"]] += wanted["quantity"]
    items = []
    for wanted in body["item"]:
        line = lines.get(wanted["orderItemID"])
        if line is None:
            raise coded_refusal(5013, f"orderItemID {wanted['orderItemID']} is not part of order {order['orderID']}")
        left = line["quantity"] - _returned(world, order["orderID"], line["orderItemID"])
        if asked[line["orderItemID"]] > left:
            raise coded_refusal(
                5015,
                f"quantity {wanted['quantity']} is more than the {left} left to return of item {line['orderItemID']}",
            )
        items.append(_item(world, line, wanted))
    record = _new_return(world, request.owner, order, body, items)
    return WireResponse(200, RETURNS.public(record))


def _order_for(request: Request, world: World, body: Mapping[str, Any]) -> OmsOrder:
    """The caller's order the return is for: named by orderID or shipmentID, else found from the first item.

    The older create page requires only item[] (orderItemID identifies the line among the
    manufacturer's orders); the newer pages put orderID and shipmentID in the query.
    """
    order_id, shipment_id = _ids(request, body)
    orders = ORDERS.by_owner(world, request.owner)
    if order_id is not None:
        order = next((o for o in orders if o["orderID"] == order_id), None)
        if order is None or shipment_id not in (None, order["shipmentID"]):
            shipment = "" if shipment_id is None else f" with shipment {shipment_id}"
            raise coded_refusal(5002, f"Order {order_id}{shipment} was not found")
        return order
    if shipment_id is not None:
        found = next((o for o in orders if o["shipmentID"] == shipment_id), None)
        if found is None:
            raise coded_refusal(5002, f"Shipment {shipment_id} was not found")
        return found
    first = body["item"][0]["orderItemID"]
    found = next((o for o in orders if any(i["orderItemID"] == first for i in o["items"])), None)
    if found is None:
        raise coded_refusal(5013, f"orderItemID {first} is not an item of any of your orders")
    return found


def _ids(request: Request, body: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """orderID and shipmentID from the query (translated API) or the body (classic API); either may be absent."""
    found: list[int | None] = []
    for name in ("orderID", "shipmentID"):
        query, data = request.param(name), body.get(name)
        if query is not None and not (is_id(query) and int(query) >= 1):
            raise coded_refusal(5014, f"{name} must be a positive integer, not {query!r}")
        if query is not None and data is not None and int(query) != data:
            raise coded_refusal(5012, f"ID in URI does not match ID in data: {name} {query} != {data}")
        found.append(int(query) if query is not None else data)
    return found[0], found[1]


def is_id(text: str) -> bool:
    """An OMS id as the query or path spells it: ASCII digits within a 64-bit integer (the ids are Java longs)."""
    return text.isascii() and text.isdigit() and len(text) <= ID_DIGITS and int(text) <= ID_MAX


def _item(world: World, line: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    subtotal = round(line["price"] * wanted["quantity"], 2)
    return {
        "returnItemID": world.store.next_number(f"{PROVIDER}.return-item") + 330000,
        "orderItemID": line["orderItemID"],
        "quantity": wanted["quantity"],
        "returnSubtotal": subtotal,
        "fulfillerSubtotal": round(subtotal * 0.9, 2),
        "status": "PENDING",
        "reason": wanted.get("reason"),
        "partNumber": line["partNumber"],
        "UPC": line["UPC"],
        "SKU": line["SKU"],
        "partName": line["partName"],
        "customData": wanted.get("customData"),
        **{name: wanted[name] for name in ECHOED_ITEM_FIELDS if name in wanted},
    }


def _new_return(
    world: World, owner: str, order: Mapping[str, Any], body: Mapping[str, Any], items: list[dict[str, Any]]
) -> dict[str, Any]:
    total = round(sum(item["returnSubtotal"] for item in items), 2)
    record = {
        "returnID": 560000 + world.store.next_number(f"{PROVIDER}.return"),
        "orderID": order["orderID"],
        "shipmentID": order["shipmentID"],
        "status": None,  # new: `transition` opens it
        "returnTotal": total,
        "fulfillerTotal": round(sum(item["fulfillerSubtotal"] for item in items), 2),
        "returnReductionTotal": 0.0,
        "refundType": body.get("refundType") or "STANDARD",
        "createdTime": oms_time(world.clock.now()),
        "confirmTime": None,
        "clearedTime": None,
        "returnLocation": body.get("returnLocation"),
        "externalOrderID": body.get("externalOrderID"),
        "creationSource": body.get("creationSource") or "API",
        "item": items,
        "customData": body.get("customData"),
        "owner": owner,
    }
    return transition(world, record, "OPEN", world.clock.now())


def _returned(world: World, order_id: int, item_id: int) -> int:
    records = RETURNS.by_ref(world, str(order_id))
    return sum(
        i["quantity"] for r in records for i in r["item"] if i["orderItemID"] == item_id and i["status"] != "REJECTED"
    )


def get_return(request: Request, world: World) -> WireResponse:
    raw = request.path_params.get("returnID", "")
    if not is_id(raw):
        raise coded_refusal(5013, f"returnID must be a positive integer, not {raw!r}")
    record = RETURNS.owned(world, request.owner, str(int(raw)))
    if record is None:
        raise coded_refusal(5002, f"Return {raw} was not found")
    return WireResponse(200, RETURNS.public(record))


def search_returns(request: Request, world: World) -> WireResponse:
    refuse_empty(request, (*SEARCHABLE, "perPage", "page"))
    limits = world.mocks["search"]
    per_page = int_param(request, "perPage", limits["per_page"]["default"], 1, limits["per_page"]["max"]) or 1
    page = int_param(request, "page", 1, 1, LAST_PAGE) or 1
    wanted = {name: _terms(request, name, int(limits["max_terms"])) for name in SEARCHABLE if request.param(name)}
    total, records = _searched(world, request.owner, wanted, (page - 1) * per_page, per_page)
    return WireResponse(200, {"totalCount": total, "collection": [RETURNS.public(r) for r in records]})


def _searched(
    world: World, owner: str, wanted: Mapping[str, set[str]], start: int, per_page: int
) -> tuple[int, list[OmsReturn]]:
    """How many of the owner's returns match, and those from `start`: a return's key is its returnID,
    its ref its orderID and its state its status, so the store answers all but shipmentID."""

    def terms(name: str) -> tuple[str, ...] | None:
        return tuple(sorted(wanted[name])) if name in wanted else None

    where = RecordFilter(owner=owner, keys=terms("returnID"), refs=terms("orderID"), states=terms("status"))
    if "shipmentID" not in wanted:
        return RETURNS.count_where(world, where), RETURNS.find(world, where, offset=start, limit=per_page)
    found = [r for r in RETURNS.find(world, where) if _matches(r, {"shipmentID": wanted["shipmentID"]})]
    return len(found), found[start : start + per_page]


def _terms(request: Request, name: str, most: int) -> set[str]:
    terms = [t.strip() for t in (request.param(name) or "").split(",") if t.strip()]
    if len(terms) > most:
        raise ParameterError(name, f"at most {most} comma-separated values", len(terms))
    if name == "status":
        terms = [t.upper() for t in terms]
        wrong = [t for t in terms if t not in STATUSES]
    else:
        wrong = [t for t in terms if not is_id(t)]
    if wrong:
        raise ParameterError(name, f"{wrong[0]!r} is not a valid value", wrong[0])
    return {str(int(t)) if name != "status" else t for t in terms}


def _matches(record: Mapping[str, Any], wanted: Mapping[str, set[str]]) -> bool:
    return all(str(record[name]) in terms for name, terms in wanted.items())


def process_return(request: Request, world: World) -> WireResponse:
    record = _owned_return(world, request.owner, request.payload["returnID"])
    if record["status"] != "OPEN":
        why = f"Return {record['returnID']} is {record['status']}; an open RMA is required"
        raise coded_refusal(5015, why, status=409)
    accepted = {a["orderItemID"]: a["quantityAccepted"] for a in request.payload.get("acceptedItemQuantity") or []}
    items = {item["orderItemID"]: item for item in record["item"]}
    for item_id, quantity in accepted.items():
        if item_id not in items:
            raise coded_refusal(5013, f"orderItemID {item_id} is not on return {record['returnID']}")
        if quantity > items[item_id]["quantity"]:
            why = f"quantityAccepted {quantity} is more than the {items[item_id]['quantity']} returned"
            raise coded_refusal(5015, why)
    for item in record["item"]:
        item["status"] = "ACCEPTED" if accepted.get(item["orderItemID"], item["quantity"]) > 0 else "REJECTED"
    record["returnLocation"] = request.payload.get("locationID", record["returnLocation"])
    record["returnReductionTotal"] = float(request.payload.get("returnReductionOverride") or 0.0)
    transition(world, record, "CLOSED", world.clock.now())
    return WireResponse(200, RETURNS.public(record))


def reopen_return(request: Request, world: World) -> WireResponse:
    record = _owned_return(world, request.owner, request.payload["returnID"])
    if record["status"] != "CLOSED":
        why = f"Return {record['returnID']} is {record['status']}; only a closed return can be reopened"
        raise coded_refusal(5015, why, status=409)
    for item in record["item"]:
        item["status"] = "PENDING"
    transition(world, record, "OPEN", world.clock.now())
    return WireResponse(200, RETURNS.public(record))


def return_locations(request: Request, world: World) -> WireResponse:
    """Locations to return to, optionally narrowed to orders' and manufacturers' (both optional in the spec)."""
    refuse_empty(request, ("orderID", "manufacturerID", "perPage", "page"))
    order_ids = _terms(request, "orderID", 100) if request.param("orderID") else set()
    manufacturers = _terms(request, "manufacturerID", 100) if request.param("manufacturerID") else set()
    for order_id in sorted(order_ids):
        if ORDERS.owned(world, request.owner, order_id) is None:
            raise coded_refusal(5002, f"Order {order_id} was not found")
    per_page = int_param(request, "perPage", 10, 1, 100) or 10
    page = int_param(request, "page", 1, 1, LAST_PAGE) or 1
    locations = [
        LOCATIONS.public(location)
        for location in LOCATIONS.by_owner(world, request.owner)
        if not manufacturers or str(location["manufacturerID"]) in manufacturers
    ]
    start = (page - 1) * per_page
    return WireResponse(200, {"totalCount": len(locations), "collection": locations[start : start + per_page]})


def _owned_return(world: World, owner: str, return_id: int) -> OmsReturn:
    """The manufacturer's return, or OMS's 5002."""
    record = RETURNS.owned(world, owner, str(return_id))
    if record is None:
        raise coded_refusal(5002, f"Return {return_id} was not found")
    return record


HANDLERS: Mapping[str, Handler] = {
    "getToken": token,
    "createReturn": create_return,
    "getReturn": get_return,
    "searchReturns": search_returns,
    "processReturn": process_return,
    "reopenReturn": reopen_return,
    "getReturnLocations": return_locations,
}
