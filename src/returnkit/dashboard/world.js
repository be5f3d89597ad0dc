// Clock, faults, world: advance the virtual time, switch faults on and off, copy credentials, add orders, reset.
import { get, post, remove } from "./api.js";
import { copyButton, h, replace, table } from "./dom.js";

const STEPS = [["+1 min", 60], ["+1 h", 3600], ["+1 day", 86400]];
const UNITS = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };
const CREDENTIAL = /key|secret|client_id/i;

function status() {
  return h("p", { class: "outcome", role: "status" });
}

async function act(output, work, done) {
  output.textContent = "…";
  output.classList.remove("error");
  try {
    output.textContent = await work();
    await done();
  } catch (error) {
    output.textContent = error.message;
    output.classList.add("error");
  }
}

function clockSection(page, clock) {
  const section = h("section", { "aria-labelledby": "clock-title" });
  const output = status();
  const advance = (seconds) => act(output, async () => {
    const now = await post("/__admin/clock/advance", { seconds });
    return `Advanced ${seconds} s: it is now ${now.now}.`;
  }, () => redraw());
  const amount = h("input", { id: "advance-amount", name: "amount", type: "number", min: 0, step: "any", required: true, value: 10 });
  const unit = h("select", { id: "advance-unit", name: "unit" }, Object.keys(UNITS).map((name) => h("option", { value: name, selected: name === "minutes" }, name)));
  const custom = h("form", { class: "inline", "aria-label": "Advance by a custom amount" },
    h("label", { for: "advance-amount" }, "Advance by"), amount,
    h("label", { for: "advance-unit", class: "visually-hidden" }, "Unit"), unit,
    h("button", { type: "submit" }, "Advance"));
  custom.addEventListener("submit", (event) => {
    event.preventDefault();
    advance(Number(amount.value) * UNITS[unit.value]);
  });
  async function redraw() {
    const now = await get("/__admin/clock");
    replace(section.querySelector(".now"), h("time", { datetime: now.now }, now.now), ` (${now.mode} clock, ${now.elapsed_seconds} s elapsed)`);
    await page.refreshClock();
  }
  replace(section,
    h("h2", { id: "clock-title" }, "Clock"),
    h("p", {}, "Virtual time: ", h("span", { class: "now" }, h("time", { datetime: clock.now }, clock.now), ` (${clock.mode} clock, ${clock.elapsed_seconds} s elapsed)`)),
    h("p", { class: "buttons" }, STEPS.map(([label, seconds]) => h("button", { type: "button", onclick: () => advance(seconds) }, label))),
    custom, output);
  return section;
}

function faultField(name, schema, required) {
  const id = `fault-${name}`;
  const label = h("label", { for: id }, required ? `${name} (required)` : name);
  let control;
  if (schema.enum) {
    control = h("select", { id, name, required }, required ? null : h("option", { value: "" }, "—"),
      schema.enum.map((value) => h("option", { value }, value)));
  } else if (schema.type === "integer" || schema.type === "number") {
    control = h("input", { id, name, type: "number", min: schema.minimum, max: schema.maximum, step: schema.type === "integer" ? 1 : "any", placeholder: schema.default });
  } else {
    control = h("input", { id, name, type: "text", placeholder: schema.description ? schema.description.split(";")[0] : "" });
  }
  if (schema.description) control.setAttribute("title", schema.description);
  return h("p", { class: "field" }, label, control);
}

function faultPayload(form, schema) {
  const payload = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    const raw = String(new FormData(form).get(name) || "").trim();
    if (!raw) continue;
    payload[name] = property.type === "integer" || property.type === "number" ? Number(raw) : raw;
  }
  return payload;
}

async function faultsSection() {
  const [schema, listed] = await Promise.all([fetch("fault-request.json").then((answer) => answer.json()), get("/__admin/faults")]);
  const section = h("section", { "aria-labelledby": "faults-title" });
  const output = status();
  const list = h("div");
  const required = new Set(schema.required);
  const form = h("form", { class: "fault-form", "aria-label": "Add a fault" },
    Object.entries(schema.properties).map(([name, property]) => faultField(name, property, required.has(name))),
    h("p", {}, h("button", { type: "submit" }, "Add fault")));
  const draw = (faults) => replace(list, faults.length
    ? table("Faults switched on", ["#", "Provider", "Operation", "Kind", "Fired", "Times"], faults.map((fault) => h("tr", {},
      h("td", {}, fault.id), h("td", {}, fault.provider), h("td", {}, fault.operation || "every"), h("td", {}, fault.kind),
      h("td", {}, fault.fired), h("td", {}, fault.times ?? "no limit"))))
    : h("p", { class: "empty" }, "No fault is switched on."));
  const reload = async () => draw((await get("/__admin/faults")).faults);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(output, async () => {
      const fault = await post("/__admin/faults", faultPayload(form, schema));
      return `Fault ${fault.id} switched on.`;
    }, reload);
  });
  const clear = h("button", { type: "button", onclick: () => act(output, async () => { await remove("/__admin/faults"); return "Every fault is off."; }, reload) }, "Clear all faults");
  draw(listed.faults);
  replace(section, h("h2", { id: "faults-title" }, "Faults"), list, h("p", {}, clear), h("h3", {}, "Add a fault"), form, output);
  return section;
}

function owners(described) {
  for (const value of Object.values(described)) {
    if (Array.isArray(value) && value.length && typeof value[0] === "object" && "id" in value[0]) return value;
  }
  return [];
}

function credentials(value, path = []) {
  if (Array.isArray(value)) return value.flatMap((item, index) => credentials(item, [...path, index]));
  if (value && typeof value === "object") {
    return Object.entries(value).filter(([name]) => !["orders", "locations", "returns"].includes(name))
      .flatMap(([name, inner]) => credentials(inner, [...path, name]));
  }
  const name = path.filter((part) => typeof part === "string").pop() || "";
  return CREDENTIAL.test(name) && value !== null ? [[name, String(value)]] : [];
}

function worldSection(world) {
  const section = h("section", { "aria-labelledby": "world-title" });
  const providers = Object.entries(world.providers).map(([provider, described]) => h("section", { class: "provider", "aria-labelledby": `world-${provider}` },
    h("h3", { id: `world-${provider}` }, provider),
    h("p", { class: "hint" }, described.auth),
    table(`${provider}: seeded credentials`, ["Owner", "Orders", "Credentials"], owners(described).map((owner) => h("tr", {},
      h("td", {}, `${owner.name} (${owner.id})`),
      h("td", {}, Array.isArray(owner.orders) ? owner.orders.length : "—"),
      h("td", {}, h("ul", { class: "credentials" }, credentials(owner).map(([name, value]) => h("li", {},
        h("span", { class: "credential-name" }, `${name}: `), h("code", {}, value), " ", copyButton(`Copy ${name}`, value))))))))));
  replace(section, h("h2", { id: "world-title" }, `World (seed ${world.seed})`), providers);
  return section;
}

function ordersSection(world, reloadPage) {
  const output = status();
  const provider = h("select", { id: "orders-provider", name: "provider" }, Object.keys(world.providers).map((name) => h("option", { value: name }, name)));
  const count = h("input", { id: "orders-count", name: "count", type: "number", min: 1, max: 100000, value: 1, required: true });
  const form = h("form", { class: "inline", "aria-label": "Add fresh orders" },
    h("label", { for: "orders-provider" }, "Provider"), provider,
    h("label", { for: "orders-count" }, "Count"), count,
    h("button", { type: "submit" }, "Add orders"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(output, async () => {
      const added = await post("/__admin/world/orders", { provider: provider.value, count: Number(count.value) });
      return `Added ${added.orders.length} order(s) for ${added.owner}: ${added.orders.slice(0, 5).join(", ")}${added.orders.length > 5 ? " …" : ""}`;
    }, async () => {});
  });
  const confirmation = h("p", { class: "confirm", hidden: true },
    "Reset restores the seeded world and the clock and empties the journal. ",
    h("button", { type: "button", class: "danger", onclick: () => act(output, async () => { await post("/__admin/reset"); return "The world was reset."; }, reloadPage) }, "Yes, reset the world"),
    " ",
    h("button", { type: "button", onclick: () => { confirmation.hidden = true; } }, "Cancel"));
  const reset = h("button", { type: "button", class: "danger", onclick: () => { confirmation.hidden = false; confirmation.querySelector("button").focus(); } }, "Reset the world…");
  return h("section", { "aria-labelledby": "orders-title" }, h("h2", { id: "orders-title" }, "Orders and reset"), form, h("p", {}, reset), confirmation, output);
}

export async function renderWorld(page) {
  const [clock, world] = await Promise.all([get("/__admin/clock"), get("/__admin/world")]);
  const faults = await faultsSection();
  if (!page.alive()) return;
  const reloadPage = () => window.dispatchEvent(new CustomEvent("returnkit:rerender"));
  replace(page.view, h("h1", {}, "Clock, faults, world"), clockSection(page, clock), faults, ordersSection(world, reloadPage), worldSection(world));
}
