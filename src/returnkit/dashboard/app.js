// The router: #/journal (the landing page), #/exchange/<id>, #/world, #/webhooks.
import { get } from "./api.js";
import { h, replace } from "./dom.js";
import { renderExchange, renderJournal } from "./journal.js";
import { renderWorld } from "./world.js";
import { renderWebhooks } from "./webhooks.js";
import { renderRecord, renderState } from "./state.js";

const view = document.getElementById("view");
let generation = 0;

const pages = [
  [/^#\/exchange\/(\d+)$/, "journal", (page, id) => renderExchange(page, Number(id))],
  [/^#\/world$/, "world", (page) => renderWorld(page)],
  [/^#\/webhooks$/, "webhooks", (page) => renderWebhooks(page)],
  [/^#\/state(?:\/([a-z-]+)\/([a-z]+))?$/, "state", (page, provider, kind) => renderState(page, provider, kind)],
  [/^#\/record\/([a-z-]+)\/([a-z]+)\/(.+)$/, "state", (page, provider, kind, key) => renderRecord(page, provider, kind, key)],
  [/^(#\/journal)?$|^#?\/?$/, "journal", (page) => renderJournal(page)],
];

// What a page is given: where to draw, whether it is still the page shown, how to refresh the clock.
function pageContext() {
  const mine = ++generation;
  return { view, alive: () => mine === generation, refreshClock };
}

// The last reading of the virtual clock and when (by the page's own monotonic time) it was read: a
// `wall` clock runs on between readings, so the header counts on from it; a `frozen` one stands still.
let reading = null;

function showClock() {
  if (reading === null) return;
  const running = reading.mode === "wall" ? performance.now() - reading.readAt : 0;
  const now = new Date(Date.parse(reading.now) + running).toISOString().replace(/\.\d+Z$/, "Z");
  replace(document.getElementById("clock"), "Virtual time ", h("time", { datetime: now }, now), reading.mode === "wall" ? "" : " (frozen)");
}

export async function refreshClock() {
  try {
    const clock = await get("/__admin/clock");
    reading = { now: clock.now, mode: clock.mode, readAt: performance.now() };
    showClock();
  } catch {
    // the page shows the error of its own call
  }
}

setInterval(showClock, 1000);

async function render() {
  const hash = window.location.hash;
  let [, name, draw] = pages[pages.length - 1];
  let match = [];
  for (const [pattern, pageName, pageDraw] of pages) {
    const found = hash.match(pattern);
    if (found) {
      [name, draw, match] = [pageName, pageDraw, found];
      break;
    }
  }
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const page = pageContext();
  try {
    await draw(page, ...match.slice(1));
    refreshClock();
  } catch (error) {
    if (page.alive() && error.status !== 401) replace(view, h("p", { class: "error", role: "alert" }, `Could not load this page: ${error.message}`));
  }
}

window.addEventListener("hashchange", render);
window.addEventListener("returnkit:rerender", render);
render();
