// The journal (landing page): the newest exchanges, new ones polled every second, and one exchange's detail.
import { get, serverFacts } from "./api.js";
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
  drift: "drift (proxied, off the spec)",
};
const seen = new Map();  // id -> entry, for the detail page (the newest kept)

export function outcome(entry) {
  if (entry.conformance) return "conformance";
  if (entry.proxy && entry.proxy.violations.length) return "drift";
  if (entry.note && entry.note.startsWith("fault ")) return "fault";
  if (entry.status >= 500 || entry.status === 0) return "error";
  if (entry.status >= 400) return "refused";
  return "accepted";
}

function select(name, label, options, labels = {}, chosen = "") {
  return h("p", { class: "field" },
    h("label", { for: `filter-${name}` }, label),
    h("select", { id: `filter-${name}`, name },
      h("option", { value: "" }, "any"),
      options.map((option) => h("option", { value: option, selected: option === chosen }, labels[option] || option))));
}

function filterForm(onChange, upstream) {
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter the journal" },
    select("provider", "Provider", PROVIDERS),
    h("p", { class: "field" }, h("label", { for: "filter-path" }, "Path (exact)"), h("input", { id: "filter-path", name: "path", type: "text" })),
    select("method", "Method", METHODS),
    h("p", { class: "field" }, h("label", { for: "filter-status" }, "Status"),
      h("input", { id: "filter-status", name: "status", type: "number", min: 100, max: 599, inputmode: "numeric" })),
    select("outcome", "Outcome", Object.keys(OUTCOMES), OUTCOMES),
    select("direction", "Direction", ["inbound", "outbound", "proxied", "all"], {}, upstream ? "proxied" : ""),
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
  const { upstream } = await serverFacts();
  const form = filterForm(() => { newest = null; listed = new Map(); poll(); }, upstream);
  const list = h("table", { class: "journal" },
    h("caption", {}, "Exchanges, newest first"),
    h("thead", {}, h("tr", {}, ["#", "Virtual time", "Provider", "Method", "Path", "Status", "Outcome"].map(
      (heading, index) => h("th", { scope: "col", class: index === 1 ? "wide-only" : null }, heading)))),
    body);
  replace(page.view, h("h1", {}, "Journal"),
    upstream ? h("p", { class: "note" }, "returnkit proxy: exchanges forwarded to ", h("code", {}, upstream), " are listed as proxied.") : null,
    form, count, list);

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

// A labelled credential as the journal keeps it (`zn_test_acme_…`, core/redact.py): the seeded one it
// stands for is put back in the curl command when exactly one seeded credential starts that way.
const MASKED = /(?:[A-Za-z]{2,}_)+…/g;
const SECRET_FIELD = /key|secret/i;
let seededSecrets = null;

async function seeded() {
  if (seededSecrets === null) {
    const found = new Set();
    const walk = (value, field) => {
      if (typeof value === "string" && SECRET_FIELD.test(field)) found.add(value);
      else if (Array.isArray(value)) value.forEach((item) => walk(item, field));
      else if (value && typeof value === "object") {
        for (const [name, item] of Object.entries(value)) if (name !== "orders") walk(item, name);
      }
    };
    walk((await get("/__admin/world")).providers, "");
    seededSecrets = [...found];
  }
  return seededSecrets;
}

function unmasked(text, secrets) {
  return text.replace(MASKED, (mask) => {
    const matches = secrets.filter((secret) => secret.startsWith(mask.slice(0, -1)));
    return matches.length === 1 ? matches[0] : mask;
  });
}

function headerValue(name, value, secrets) {
  const restored = unmasked(value, secrets);
  const pair = restored.match(/^Basic (.*:.*)$/i);  // the journal keeps a Basic pair decoded
  return pair && name === "authorization" && !restored.includes("…") ? `Basic ${btoa(pair[1])}` : restored;
}

const quoted = (text) => `'${text.replaceAll("'", "'\\''")}'`;

// The journal keeps a parsed body: a form goes back as a form, anything else as the JSON it was.
function sentBody(body, headers) {
  if (body === null || body === undefined) return null;
  if (typeof body === "string") return body;
  const form = (headers["content-type"] || "").startsWith("application/x-www-form-urlencoded");
  return form && typeof body === "object" && !Array.isArray(body) ? new URLSearchParams(body).toString() : JSON.stringify(body);
}

async function curl(entry) {
  const bodyText = sentBody(entry.request.body, entry.request.headers || {});
  const masked = JSON.stringify(entry.request.headers || {}).includes("…") || (bodyText || "").includes("…");
  const secrets = masked ? await seeded().catch(() => []) : [];
  const url = `${window.location.origin}${entry.path}${entry.query ? `?${entry.query}` : ""}`;
  const parts = [`curl -X ${entry.method} ${quoted(url)}`];
  const skipped = new Set(["host", "content-length", "connection", "accept-encoding", "user-agent"]);
  for (const [name, value] of Object.entries(entry.request.headers || {})) {
    if (!skipped.has(name)) parts.push(`-H ${quoted(`${name}: ${headerValue(name, value, secrets)}`)}`);
  }
  if (bodyText !== null) parts.push(`--data-raw ${quoted(unmasked(bodyText, secrets))}`);
  const command = parts.join(" \\\n  ");
  return { command, stillMasked: command.includes("…") };
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

function proxySection(proxy) {
  const rows = proxy.violations.map((violation) => h("tr", {},
    h("td", {}, violation.direction), h("td", {}, violation.kind),
    h("td", {}, h("code", { class: "json-path" }, violation.json_path)), h("td", {}, violation.message)));
  return h("section", { "aria-labelledby": "proxied", class: rows.length ? "conformance" : null },
    h("h2", { id: "proxied" }, "Proxied"),
    keyValues([
      ["Upstream", h("code", {}, proxy.upstream)],
      ["Forwarded", proxy.forwarded ? "yes" : "no"],
      ["Upstream status", proxy.upstream_status ? String(proxy.upstream_status) : "— (no answer)"],
      ["Upstream time", `${proxy.duration_ms} ms`],
      ...(proxy.error ? [["Error", proxy.error]] : []),
    ]),
    rows.length
      ? table(`${rows.length} violation(s) of the spec`, ["Direction", "Kind", "JSON path", "Message"], rows)
      : h("p", {}, "Both directions conform to the spec."));
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
  const { command, stillMasked } = await curl(entry);
  if (!page.alive()) return;
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
    entry.proxy ? proxySection(entry.proxy) : null,
    verdictSection(entry.verdict),
    h("section", { "aria-labelledby": "request" }, h("h2", { id: "request" }, "Request"),
      headersTable("Request headers (credentials masked)", entry.request.headers),
      h("h3", {}, "Body"), h("pre", {}, pretty(entry.request.body)),
      h("details", {}, h("summary", {}, "As curl (with the seeded credentials it used)"), h("pre", { class: "curl" }, command)),
      stillMasked ? h("p", { class: "hint" }, "A credential that is not a seeded one (an issued token, say) stays masked (…): put it in before running.") : null,
      copyButton("Copy as curl", command)),
    h("section", { "aria-labelledby": "response" }, h("h2", { id: "response" }, `Response: ${entry.status}`),
      entry.response.headers ? headersTable("Response headers (as returnkit set them)", entry.response.headers) : null,
      h("h3", {}, "Body"),
      h("pre", {}, pretty(entry.response.body))),
    entry.webhook ? h("section", { "aria-labelledby": "webhook" }, h("h2", { id: "webhook" }, "Webhook attempt"), h("pre", {}, pretty(entry.webhook))) : null);
}
