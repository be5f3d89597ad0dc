// Every data call goes to the admin API, under its rule: where it needs a token, the page asks for
// it once (before its first call) and keeps it in sessionStorage only, sent as Authorization: Bearer.
import { h, replace } from "./dom.js";

const TOKEN_KEY = "returnkit-admin-token";
let access = null;
let asking = null;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// What the server says of itself (no token needed): whether the admin API needs one, and, on
// `returnkit proxy`, the upstream it forwards to.
export async function serverFacts() {
  if (access === null) {
    const answer = await fetch("access.json", { cache: "no-store" });
    access = await answer.json();
  }
  return access;
}

async function tokenRequired() {
  return (await serverFacts()).token_required;
}

function askForToken(reason) {
  if (asking) return asking;
  asking = new Promise((resolve) => {
    const input = h("input", { id: "admin-token", name: "token", type: "password", required: true, autocomplete: "off" });
    const form = h("form", { class: "token", "aria-labelledby": "token-title" },
      h("h1", { id: "token-title" }, "Admin token"),
      h("p", {}, reason),
      h("label", { for: "admin-token" }, "Token (kept for this browser tab only)"),
      input,
      h("button", { type: "submit" }, "Use this token"));
    const view = document.getElementById("view");
    const shown = [...view.childNodes];  // the page that asked: it goes on drawing once the token is in
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      replace(view, shown);
      asking = null;
      resolve();
    });
    replace(view, form);
    input.focus();
  });
  return asking;
}

async function headers(method) {
  const sent = { Accept: "application/json" };
  if (method === "GET") sent["X-Returnkit-Dashboard"] = "1";  // the dashboard's reads are not journaled
  if (await tokenRequired()) {
    if (!sessionStorage.getItem(TOKEN_KEY)) {
      await askForToken("This server's admin API requires the token given to returnkit serve --admin-token (or the one it printed at start).");
    }
    sent.Authorization = `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`;
  }
  return sent;
}

export async function call(method, path, body) {
  const sent = await headers(method);
  const options = { method, headers: sent, cache: "no-store" };
  if (body !== undefined) {
    options.body = JSON.stringify(body);
    sent["Content-Type"] = "application/json";
  }
  const answer = await fetch(path, options);
  const text = await answer.text();
  const document = text ? JSON.parse(text) : null;
  if (answer.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    await askForToken("That token was not accepted; try again.");
    window.dispatchEvent(new CustomEvent("returnkit:rerender"));
    throw new ApiError(401, document);
  }
  if (!answer.ok) throw new ApiError(answer.status, document);
  return document;
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body);
export const remove = (path) => call("DELETE", path);
