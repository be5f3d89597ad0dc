// Webhooks: the subscriptions, and the deliveries with every attempt (status, signature headers), redeliver.
import { get, post } from "./api.js";
import { h, pretty, replace, table } from "./dom.js";

const SHOWN = 200;
const PROVIDERS = ["aboutyou", "zinc", "rye", "kibo-commerce", "kibo-oms"];
const SIGNATURE = /signature|hmac|sign/i;

function subscriptions(listed) {
  if (!listed.length) return h("p", { class: "empty" }, "No subscription yet.");
  return table("Subscriptions", ["Id", "Provider", "URL", "Owner", "Events"], listed.map((subscription) => h("tr", {},
    h("td", {}, subscription.id), h("td", {}, subscription.provider), h("td", { class: "path" }, subscription.url),
    h("td", {}, subscription.owner ?? "every owner"), h("td", {}, subscription.events ? subscription.events.join(", ") : "all"))));
}

function subscribeForm(output, reload) {
  const provider = h("select", { id: "subscribe-provider", name: "provider" }, PROVIDERS.map((name) => h("option", { value: name }, name)));
  const url = h("input", { id: "subscribe-url", name: "url", type: "url", required: true, placeholder: "http://127.0.0.1:9000/hooks" });
  const form = h("form", { class: "inline", "aria-label": "Subscribe a URL" },
    h("label", { for: "subscribe-provider" }, "Provider"), provider,
    h("label", { for: "subscribe-url" }, "URL"), url,
    h("button", { type: "submit" }, "Subscribe"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const added = await post("/__admin/webhooks", { provider: provider.value, url: url.value });
      output.textContent = `Subscription ${added.id} added.`;
      await reload();
    } catch (error) {
      output.textContent = error.message;
    }
  });
  return form;
}

function attempts(delivery) {
  if (!delivery.attempts.length) return h("p", {}, "No attempt yet.");
  return table(`Delivery ${delivery.id}: attempts`, ["#", "Kind", "Virtual time", "Status", "Error", "ms", "Signature headers"], delivery.attempts.map((attempt) => h("tr", {},
    h("td", {}, attempt.number), h("td", {}, attempt.kind), h("td", {}, attempt.at),
    h("td", {}, attempt.status ?? "no answer"), h("td", {}, attempt.error || "—"), h("td", {}, attempt.duration_ms),
    h("td", {}, h("ul", { class: "credentials" }, Object.entries(attempt.headers).filter(([name]) => SIGNATURE.test(name)).map(([name, value]) => h("li", {}, `${name}: `, h("code", {}, value))))))));
}

function deliveryRow(delivery, redeliver) {
  return h("tr", { "data-delivery": delivery.id },
    h("td", {}, delivery.id), h("td", {}, delivery.provider), h("td", {}, delivery.event),
    h("td", {}, h("span", { class: `badge ${delivery.status}` }, delivery.status)),
    h("td", {}, delivery.attempts_count),
    h("td", {}, h("details", {}, h("summary", {}, "attempts and body"), attempts(delivery), h("pre", {}, pretty(delivery.body)))),
    h("td", {}, h("button", { type: "button", class: "small", onclick: () => redeliver(delivery.id) }, "Redeliver")));
}

export async function renderWebhooks(page) {
  const output = h("p", { role: "status", class: "outcome" });
  const subscribed = h("div");
  const delivered = h("div");
  async function reload() {
    const [listed, outbox] = await Promise.all([get("/__admin/webhooks"), get(`/__admin/webhooks/deliveries?limit=${SHOWN}`)]);
    if (!page.alive()) return;
    replace(subscribed, subscriptions(listed.subscriptions));
    replace(delivered, outbox.deliveries.length
      ? table(`Deliveries (${outbox.total}; the newest ${SHOWN} shown)`, ["Id", "Provider", "Event", "Status", "Attempts", "Detail", "Action"],
        outbox.deliveries.slice().reverse().map((delivery) => deliveryRow(delivery, redeliver)))
      : h("p", { class: "empty" }, "Nothing was sent yet."));
  }
  async function redeliver(id) {
    output.textContent = `Redelivering ${id}…`;
    try {
      const again = await post(`/__admin/webhooks/deliveries/${id}/redeliver`);
      output.textContent = `Delivery ${id} is ${again.status} after ${again.attempts_count} attempt(s).`;
      await reload();
    } catch (error) {
      output.textContent = error.message;
    }
  }
  await reload();
  if (!page.alive()) return;
  replace(page.view, h("h1", {}, "Webhooks"),
    h("section", { "aria-labelledby": "subscriptions-title" }, h("h2", { id: "subscriptions-title" }, "Subscriptions"), subscribed, subscribeForm(output, reload)),
    h("section", { "aria-labelledby": "deliveries-title" }, h("h2", { id: "deliveries-title" }, "Deliveries"), h("p", {}, h("button", { type: "button", onclick: reload }, "Refresh")), delivered),
    output);
}
