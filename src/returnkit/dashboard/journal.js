// The journal (landing page): the newest exchanges, new ones polled every second, and one exchange's detail.
import { get } from "./api.js";
import { copyButton, h, keyValues, pretty, replace, table } from "./dom.js";

const SHOWN = 200;  // the newest entries listed: the page stays light with 10 000 in the journal
const POLL_MS = 1000;
const LATE = 50;  // how far below the newest id a poll looks again
const PROVIDERS = ["aboutyou", "zinc", "rye", "kibo-commerce", "kibo-oms", "admin"];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const OUTCOMES = {
  accepted: "accepted (2xx)",
  refused: "refused (4xx)",
  error: "server error (5xx)",
  fault: "fault fired",
  conformance: "conformance violation",
};
const seen = new Map();  // id -> entry, for the detail page (the newest kept)

export function outcome(entry) {
  if (entry.conformance) return "conformance";
  if (entry.note && entry.note.startsWith("fault ")) return "fault";
  if (entry.status >= 500 || entry.status === 0) return "error";
  if (entry.status >= 400) return "refused";
  return "accepted";
}

function select(name, label, options, labels = {}) {
  return h("p", { class: "field" },
    h("label", { for: `filter-${name}` }, label),
    h("select", { id: `filter-${name}`, name },
      h("option", { value: "" }, "any"),
      options.map((option) => h("option", { value: option }, labels[option] || option))));
}

function filterForm(onChange) {
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter the journal" },
    select("provider", "Provider", PROVIDERS),
    h("p", { class: "field" }, h("label", { for: "filter-path" }, "Path (exact)"), h("input", { id: "filter-path", name: "path", type: "text" })),
    select("method", "Method", METHODS),
    h("p", { class: "field" }, h("label", { for: "filter-status" }, "Status"),
      h("input", { id: "filter-status", name: "status", type: "number", min: 100, max: 599, inputmode: "numeric" })),
    select("outcome", "Outcome", Object.keys(OUTCOMES), OUTCOMES),
    select("direction", "Direction", ["inbound", "outbound", "all"]),
    h("p", { class: "field checkbox" }, h("input", { id: "filter-admin", name: "admin", type: "checkbox" }),
      h("label", { for: "filter-admin" }, "show admin API calls")));
  form.addEventListener("change", onChange);
  form.addEventListener("submit", (event) => { event.preventDefault(); onChange(); });
  return form;
}

function query(form, after) {
  const data = new FormData(form);
  const params = new URLSearchParams({ limit: String(SHOWN) });
  for (const name of ["provider", "path", "method", "status", "direction"]) {
    const value = String(data.get(name) || "").trim();
    if (value) params.set(name, value);
  }
  if (after !== null) params.set("after", String(after));
  return `/__admin/requests?${params}`;
}

function wanted(form, entry) {
  const data = new FormData(form);
  if (!data.get("admin") && entry.provider === "admin" && !data.get("provider")) return false;
  const kind = data.get("outcome");
  return !kind || outcome(entry) === kind;
}

function row(entry) {
  const kind = outcome(entry);
  return h("tr", { class: `outcome-${kind}`, "data-id": entry.id },
    h("td", {}, h("a", { href: `#/exchange/${entry.id}`, "aria-label": `exchange ${entry.id}` }, entry.id)),
    h("td", { class: "wide-only" }, entry.at),
    h("td", {}, entry.provider || "—"),
    h("td", {}, entry.method),
    h("td", { class: "path" }, entry.path),
    h("td", {}, entry.status),
    h("td", {}, h("span", { class: `badge ${kind}` }, OUTCOMES[kind].split(" (")[0])));
}

export async function renderJournal(page) {
  const body = h("tbody");
  const count = h("p", { role: "status", class: "count" });
  let newest = null;
  let listed = new Map();  // id -> entry, the rows shown
  const form = filterForm(() => { newest = null; listed = new Map(); poll(); });
  const list = h("table", { class: "journal" },
    h("caption", {}, "Exchanges, newest first"),
    h("thead", {}, h("tr", {}, ["#", "Virtual time", "Provider", "Method", "Path", "Status", "Outcome"].map(
      (heading, index) => h("th", { scope: "col", class: index === 1 ? "wide-only" : null }, heading)))),
    body);
  replace(page.view, h("h1", {}, "Journal"), form, count, list);

  async function poll() {
    const [asked, mine] = [newest, listed];
    // An entry gets its id when its request begins and is journaled when it ends (on any instance):
    // asking again from a few ids below the newest shows one that finished late.
    const answer = await get(query(form, asked === null ? null : Math.max(0, asked - LATE)));
    if (!page.alive() || mine !== listed) return;  // the filters changed meanwhile: their own poll draws
    for (const entry of answer.requests) seen.set(entry.id, entry);
    const fresh = answer.requests.filter((entry) => !listed.has(entry.id) && wanted(form, entry));
    for (const entry of answer.requests) newest = Math.max(newest ?? 0, entry.id);
    for (const entry of fresh) listed.set(entry.id, entry);
    if (asked === null || fresh.length) {
      const shown = [...listed.values()].sort((one, other) => other.id - one.id);
      for (const dropped of shown.splice(SHOWN)) listed.delete(dropped.id);
      replace(body, shown.map(row));
    }
    count.textContent = `${answer.total} in the journal match the server-side filters; the newest ${SHOWN} are listed and new ones appear as they come.`;
  }

  await poll();
  let busy = false;  // one poll at a time: two with the same `after` would list an entry twice
  const timer = setInterval(() => {
    if (!page.alive()) clearInterval(timer);
    else if (!busy && !document.hidden) {  // a tab in the background costs the server nothing
      busy = true;
      poll().catch(() => {}).finally(() => { busy = false; });
    }
  }, POLL_MS);
}

function curl(entry) {
  const origin = window.location.origin;
  const url = `${origin}${entry.path}${entry.query ? `?${entry.query}` : ""}`;
  const parts = [`curl -X ${entry.method} '${url.replaceAll("'", "'\\''")}'`];
  const skipped = new Set(["host", "content-length", "connection", "accept-encoding", "user-agent"]);
  for (const [name, value] of Object.entries(entry.request.headers || {})) {
    if (!skipped.has(name)) parts.push(`-H '${`${name}: ${value}`.replaceAll("'", "'\\''")}'`);
  }
  const body = entry.request.body;
  if (body !== null && body !== undefined) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    parts.push(`--data-raw '${text.replaceAll("'", "'\\''")}'`);
  }
  return parts.join(" \\\n  ");
}

function verdictSection(verdict) {
  if (!verdict || verdict.valid) return h("section", { "aria-labelledby": "verdict" }, h("h2", { id: "verdict" }, "Verdict"), h("p", {}, verdict ? "Valid." : "No body was validated."));
  const rows = verdict.errors.map((error) => h("tr", {},
    h("td", {}, h("code", { class: "json-path" }, error.json_path)),
    h("td", {}, error.keyword),
    h("td", {}, h("code", {}, pretty(error.found))),
    h("td", {}, h("code", {}, pretty(error.expected))),
    h("td", {}, error.message)));
  return h("section", { "aria-labelledby": "verdict" }, h("h2", { id: "verdict" }, "Verdict: invalid"),
    table(`${verdict.errors.length} error(s)`, ["JSON path", "Rule", "Found", "Expected", "Message"], rows));
}

function headersTable(caption, headers) {
  const rows = Object.entries(headers || {}).map(([name, value]) => h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, value)));
  return table(caption, ["Header", "Value"], rows);
}

async function find(id) {
  if (seen.has(id)) return seen.get(id);
  const answer = await get(`/__admin/requests?direction=all&limit=10000&after=${id - 1}`);
  for (const entry of answer.requests) seen.set(entry.id, entry);
  return seen.get(id);
}

export async function renderExchange(page, id) {
  const entry = await find(id);
  if (!page.alive()) return;
  if (!entry) {
    replace(page.view, h("h1", {}, `Exchange ${id}`), h("p", {}, "It is no longer in the journal (or not yet)."), h("p", {}, h("a", { href: "#/journal" }, "Back to the journal")));
    return;
  }
  const kind = outcome(entry);
  const command = curl(entry);
  replace(page.view,
    h("p", {}, h("a", { href: "#/journal" }, "← Journal")),
    h("h1", {}, `Exchange ${entry.id}: ${entry.method} ${entry.path}`),
    keyValues([
      ["Outcome", h("span", { class: `badge ${kind}` }, OUTCOMES[kind])],
      ["Status", String(entry.status)],
      ["Virtual time", entry.at],
      ["Provider", entry.provider || "—"],
      ["Operation", entry.operation || "—"],
      ["Principal", entry.principal || "—"],
      ["Query", entry.query || "—"],
    ]),
    entry.note ? h("p", { class: "note" }, h("strong", {}, kind === "fault" ? "Fault that fired: " : "Note: "), entry.note) : null,
    entry.conformance ? h("section", { class: "conformance", role: "alert", "aria-labelledby": "conformance" },
      h("h2", { id: "conformance" }, "Conformance violation"), h("p", {}, entry.conformance)) : null,
    verdictSection(entry.verdict),
    h("section", { "aria-labelledby": "request" }, h("h2", { id: "request" }, "Request"),
      headersTable("Request headers (credentials masked)", entry.request.headers),
      h("h3", {}, "Body"), h("pre", {}, pretty(entry.request.body)),
      h("details", {}, h("summary", {}, "As curl"), h("pre", { class: "curl" }, command)),
      copyButton("Copy as curl", command)),
    h("section", { "aria-labelledby": "response" }, h("h2", { id: "response" }, `Response: ${entry.status}`),
      entry.response.headers ? headersTable("Response headers (as returnkit set them)", entry.response.headers) : null,
      h("h3", {}, "Body"),
      h("pre", {}, pretty(entry.response.body))),
    entry.webhook ? h("section", { "aria-labelledby": "webhook" }, h("h2", { id: "webhook" }, "Webhook attempt"), h("pre", {}, pretty(entry.webhook))) : null);
}
