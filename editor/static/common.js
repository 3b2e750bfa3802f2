/* Chorus editor: what every page shares. Calls to the JSON API (CSRF header from the page's meta tag),
   a login dialog when the session has expired (POST /api/login, then the call is retried), and the
   status lines (aria-live). Plain JS module, no build step. */
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

export class ApiError extends Error {
  constructor(status, data) {
    super((data && data.error) || `the server answered ${status}`);
    this.status = status;
    this.data = data || {};
  }
}

function csrf() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.content : "";
}

let relogin = null;   // one shared promise while the login dialog is open

/** Ask the volunteer to log in again; resolves when logged in, rejects when the dialog is dismissed. */
export function askLogin() {
  if (relogin) { return relogin; }
  const dlg = $("#login-dialog");
  if (!dlg) { return Promise.reject(new ApiError(401, { error: "your session has expired: log in again" })); }
  relogin = new Promise((resolve, reject) => {
    const form = $("#relogin-form", dlg), err = $("#relogin-error", dlg);
    let done = false;
    err.textContent = "";
    const submit = async (ev) => {
      ev.preventDefault();
      const r = await fetch("/api/login", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify({ name: $("#relogin-name").value, password: $("#relogin-password").value }),
      });
      const data = await r.json().catch(() => ({}));
      if (!r.ok) { err.textContent = data.error || `Login failed (${r.status}).`; $("#relogin-password").select(); return; }
      if (data.csrf) { document.querySelector('meta[name="csrf-token"]').content = data.csrf; }
      $("#relogin-password").value = "";
      done = true;
      dlg.close();
      resolve();
    };
    const closed = () => {
      form.removeEventListener("submit", submit);
      dlg.removeEventListener("close", closed);
      relogin = null;
      if (!done) { reject(new ApiError(401, { error: "not logged in: your changes stay in this browser until you save again" })); }
    };
    form.addEventListener("submit", submit);
    dlg.addEventListener("close", closed);
    dlg.showModal();
    ($("#relogin-name").value ? $("#relogin-password") : $("#relogin-name")).focus();
  });
  return relogin;
}

/** ``api("PUT", url, body)`` -> parsed JSON. 401 asks to log in and retries once; other errors throw ApiError
    (409 included: its JSON is in ``err.data``). ``quiet401`` skips the dialog (heartbeats). */
export async function api(method, url, body, { quiet401 = false, retried = false } = {}) {
  const opts = { method, credentials: "same-origin", headers: {} };   // a plain GET: it reuses the page's preload
  if (method !== "GET") {
    opts.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  }
  const r = await fetch(url, opts);
  const data = r.status === 204 ? {} : await r.json().catch(() => ({}));
  if (r.status === 401 && !quiet401 && !retried) {
    await askLogin();
    return api(method, url, body, { retried: true });
  }
  if (!r.ok) { throw new ApiError(r.status, data); }
  return data;
}

/** Say something politely (role=status), or urgently (role=alert). */
export function say(text) {
  const el = $("#status");
  if (el) { el.textContent = ""; requestAnimationFrame(() => { el.textContent = text; }); }
}
export function warn(text) {
  const el = $("#alert");
  if (el) { el.textContent = text; }
}

/** Seconds as M:SS or H:MM:SS. */
export function clock(t) {
  t = Math.max(0, Math.floor(t || 0));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = String(t % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Create an element: ``el("p", {class: "x"}, "text", child)``. Text is always text, never HTML. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) { continue; }
    if (k === "class") { e.className = v; } else if (k === "text") { e.textContent = v; } else { e.setAttribute(k, v === true ? "" : v); }
  }
  for (const c of children) { if (c !== null && c !== undefined) { e.append(c); } }
  return e;
}
