// State: one provider's returns (orders, batches ...) by state with search, and one record's page
// with its current state, what is scheduled next and, where the spec states it, its state machine.
import { ApiError, get } from "./api.js";
import { h, keyValues, pretty, replace, table } from "./dom.js";
import { drawMachine } from "./machine.js";

const PROVIDERS = ["zinc", "kibo-commerce", "kibo-oms", "rye", "aboutyou"];
const KINDS = ["return", "order", "batch", "item", "replacement"];
const SHOWN = 200;
const KEYS = ["id", "order_number", "orderID", "returnID", "returnId", "batch_id"];
let machines = null;

export function keyOf(record) {
  const named = KEYS.find((name) => record[name] !== undefined && record[name] !== null);
  const key = named || Object.keys(record).find((name) => /id$/i.test(name));
  return key ? String(record[key]) : "";
}

function stateOf(record) {
  const state = record.status ?? record.state;
  return state === undefined || state === null ? "(none)" : String(state);
}

function recordLink(provider, kind, record) {
  const key = keyOf(record);
  return h("a", { href: `#/record/${provider}/${kind}/${encodeURIComponent(key)}` }, key);
}

function choice(id, label, options, chosen) {
  return h("p", { class: "field" }, h("label", { for: id }, label),
    h("select", { id, name: id }, options.map((option) => h("option", { value: option, selected: option === chosen }, option))));
}

export async function renderState(page, provider = "zinc", kind = "return") {
  const form = h("form", { class: "filters", role: "search", "aria-label": "Find records" },
    choice("state-provider", "Provider", PROVIDERS, provider),
    choice("state-kind", "Kind", KINDS, kind),
    h("p", { class: "field" }, h("label", { for: "state-q" }, "Search"), h("input", { id: "state-q", name: "q", type: "search" })),
    h("p", {}, h("button", { type: "submit" }, "Search")));
  const states = h("p", { class: "buttons", role: "group", "aria-label": "By state" });
  const results = h("div");
  let state = "";
  async function load() {
    const data = new FormData(form);
    const params = new URLSearchParams({ provider: data.get("state-provider"), kind: data.get("state-kind"), limit: String(SHOWN) });
    const text = String(data.get("q") || "").trim();
    if (text) params.set("q", text);
    if (state) params.set("state", state);
    const answer = await get(`/__admin/records?${params}`);
    if (!page.alive()) return;
    const [chosenProvider, chosenKind] = [params.get("provider"), params.get("kind")];
    replace(states, h("button", { type: "button", class: "small", "aria-pressed": String(!state), onclick: () => { state = ""; load(); } }, "every state"),
      Object.entries(answer.states).map(([name, count]) => h("button", {
        type: "button", class: "small", "aria-pressed": String(state === name), onclick: () => { state = name; load(); },
      }, `${name} (${count})`)));
    replace(results, answer.records.length
      ? table(`${answer.total} ${chosenKind} record(s) match; the newest ${Math.min(SHOWN, answer.total)} listed`, ["Id", "State", "Owner", "Created"],
        answer.records.slice().reverse().map((record) => h("tr", {},
          h("td", {}, recordLink(chosenProvider, chosenKind, record)),
          h("td", {}, h("span", { class: "badge" }, stateOf(record))),
          h("td", {}, record.owner ?? "—"),
          h("td", {}, record.created_at ?? record.createdAt ?? record.auditInfo?.createDate ?? "—"))))
      : h("p", { class: "empty" }, "No record matches."));
  }
  form.addEventListener("change", (event) => { if (event.target.tagName === "SELECT") { state = ""; load(); } });
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  replace(page.view, h("h1", {}, "State"), form, states, results);
  await load();
}

function timesOf(record) {
  // returnkit's own schedule fields (Unix seconds on the virtual clock): what happens next, and when
  return Object.entries(record)
    .filter(([name, value]) => typeof value === "number" && /(_at|At|due)$/.test(name) && value > 1e9)
    .map(([name, value]) => [name, new Date(value * 1000).toISOString().replace(".000Z", "Z")]);
}

async function machineFor(provider, kind, record) {
  if (machines === null) machines = await (await fetch("state-machines.json")).json();
  if (kind !== "return") return null;
  return (machines[provider] || []).find((machine) => machine.field in record) || null;
}

async function recordPage(provider, kind, id) {
  try {
    return await get(`/__admin/records/${provider}/${kind}/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

function when(moment) {
  return h("time", { datetime: moment }, moment);
}

function historyTable(changes) {
  return h("section", { "aria-labelledby": "history-title" }, h("h2", { id: "history-title" }, "History"),
    changes.length
      ? table("Its status changes, oldest first (virtual time)", ["From", "To", "Action", "At"], changes.map((change) => h("tr", {},
        h("td", {}, change.from ?? "(created)"), h("td", {}, change.to), h("td", {}, change.action ? h("code", {}, change.action) : "—"),
        h("td", {}, when(change.at)))))
      : h("p", {}, "No status change recorded."));
}

function scheduledTable(steps) {
  return h("section", { "aria-labelledby": "scheduled-title" }, h("h2", { id: "scheduled-title" }, "Scheduled next"),
    steps.length
      ? table("What the clock will carry out, earliest first (virtual time)", ["Transition", "Due"], steps.map((step) => h("tr", {},
        h("td", {}, h("code", {}, step.transition)), h("td", {}, when(step.due)))))
      : h("p", {}, "Nothing is scheduled."));
}

export async function renderRecord(page, provider, kind, key) {
  const id = decodeURIComponent(key);
  const answer = await recordPage(provider, kind, id);
  const record = answer && answer.record;
  const back = h("p", {}, h("a", { href: `#/state/${provider}/${kind}` }, `← ${provider} ${kind} records`));
  if (!page.alive()) return;
  if (!record) {
    replace(page.view, back, h("h1", {}, `${provider} ${kind} ${id}`), h("p", {}, "No such record (a reset empties the world)."));
    return;
  }
  const machine = await machineFor(provider, kind, record);
  const current = stateOf(record);
  // The actions available now are those the provider answers on a read (Kibo computes availableActions
  // per read, from the spec's transitions whose preconditions hold); the rest of the spec's are shown apart.
  const fromHere = machine ? machine.transitions.filter((transition) => transition.from === current) : [];
  const availableNow = Array.isArray(answer.read?.availableActions) ? new Set(answer.read.availableActions) : null;
  const actions = availableNow ? fromHere.filter((transition) => availableNow.has(transition.action)) : fromHere;
  const blocked = availableNow ? fromHere.filter((transition) => !availableNow.has(transition.action)) : [];
  replace(page.view, back,
    h("h1", {}, `${provider} ${kind} ${id}`),
    keyValues([
      ["Current state", h("span", { class: "badge current-state" }, current)],
      ...timesOf(record).map(([name, when]) => [name, h("time", { datetime: when }, when)]),
    ]),
    machine ? h("section", { "aria-labelledby": "machine-title" },
      h("h2", { id: "machine-title" }, "State machine (from the spec)"),
      h("p", {}, availableNow ? "Actions available now (as a read of it answers): " : `Actions the spec allows from ${current}: `, actions.length
        ? h("ul", { class: "actions" }, actions.map((transition) => h("li", { title: transition.preconditions || "" },
          h("code", {}, transition.action), transition.deprecated ? " (legacy)" : "")))
        : fromHere.length ? "none now" : "none (a final state)"),
      blocked.length ? h("p", {}, `Not now (the spec allows them from ${current}, their precondition does not hold): `,
        h("ul", { class: "blocked-actions" }, blocked.map((transition) => h("li", {},
          h("code", {}, transition.action), ` — ${transition.preconditions || "refused by the provider"}`)))) : null,
      drawMachine(machine, current),
      h("details", {}, h("summary", {}, "Every transition as a table"),
        table(`${machine.operation}: transitions`, ["From", "Action", "To", "Precondition"], machine.transitions.map((transition) => h("tr", { class: transition.from === current ? "from-current" : null },
          h("td", {}, transition.from), h("td", {}, h("code", {}, transition.action), transition.deprecated ? " (legacy)" : ""),
          h("td", {}, transition.to), h("td", {}, transition.preconditions || "—")))))) : null,
    historyTable(answer.history),
    scheduledTable(answer.scheduled),
    h("section", { "aria-labelledby": "record-title" }, h("h2", { id: "record-title" }, "As stored"), h("pre", {}, pretty(record))));
}
