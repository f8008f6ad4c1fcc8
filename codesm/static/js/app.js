// Glue only: the page works as HTML; htmx does the rest. No inline code anywhere (CSP).
"use strict";

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

// Every htmx request carries the CSRF token; the server refuses any non-GET without it.
document.addEventListener("htmx:configRequest", (event) => {
  event.detail.headers["X-CSRF-Token"] = csrfToken();
});

// The server announces "connected" itself; only the browser knows when the socket drops.
document.addEventListener("htmx:wsClose", () => {
  const state = document.getElementById("connection-state");
  if (state && !state.classList.contains("conn-gone")) {
    state.textContent = "reconnecting";
    state.className = "conn conn-reconnecting";
  }
});

// After the composer's frame is sent, empty it for the next message.
document.addEventListener("htmx:wsAfterSend", (event) => {
  const form = event.target.closest?.("form");
  if (form && form.id === "composer") {
    form.reset();
  }
});

// Keep the newest output in view unless the reader scrolled up.
const transcript = () => document.getElementById("transcript");
let pinned = true;
document.addEventListener("scroll", (event) => {
  const t = transcript();
  if (t && event.target === t) {
    pinned = t.scrollHeight - t.scrollTop - t.clientHeight < 80;
  }
}, true);
document.addEventListener("htmx:wsAfterMessage", () => {
  const t = transcript();
  if (t && pinned) {
    t.scrollTop = t.scrollHeight;
  }
});

function submitForm(id) {
  const form = document.getElementById(id);
  if (form) {
    form.requestSubmit();
  }
}

document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (target && target.id === "prompt" && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    if (target.value.trim()) {
      target.form.requestSubmit();
    }
    return;
  }
  if (target && target.id === "prompt" && event.key === "Tab" && !event.shiftKey && !target.value) {
    event.preventDefault();
    document.querySelector("#status-mode button")?.click();
    return;
  }
  if (event.key === "Escape") {
    submitForm("cancel-form");
    return;
  }
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "b") {
    event.preventDefault();
    toggle("sidebar", "toggle-sidebar");
  }
});

function toggle(paneId, buttonId) {
  const app = document.getElementById("app");
  const hidden = app.classList.toggle(`hide-${paneId}`);
  document.getElementById(buttonId)?.setAttribute("aria-expanded", String(!hidden));
}

const THEMES = ["system", "light", "dark"];
function applyTheme(theme) {
  if (theme === "system") {
    delete document.documentElement.dataset.theme;
  } else {
    document.documentElement.dataset.theme = theme;
  }
}
applyTheme(localStorage.getItem("codesm-theme") || "system");

document.addEventListener("click", (event) => {
  const button = event.target.closest?.("button");
  if (!button) {
    return;
  }
  if (button.id === "toggle-sidebar") {
    toggle("sidebar", "toggle-sidebar");
  } else if (button.id === "toggle-code") {
    toggle("codepane", "toggle-code");
  } else if (button.id === "toggle-theme") {
    const current = localStorage.getItem("codesm-theme") || "system";
    const next = THEMES[(THEMES.indexOf(current) + 1) % THEMES.length];
    localStorage.setItem("codesm-theme", next);
    applyTheme(next);
    button.title = `Theme: ${next}`;
  }
});
