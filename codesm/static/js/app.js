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

// After the composer's (or a subagent steer box's) frame is sent, empty it for the next message.
document.addEventListener("htmx:wsAfterSend", (event) => {
  const form = event.target.closest?.("form");
  if (form && (form.id === "composer" || form.classList.contains("subagent-steer"))) {
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
    return;
  }
  // Ctrl+N and Ctrl+T reach the page only where the browser does not keep them (app windows,
  // kiosk, headless); Alt+N and Alt+T work everywhere. `code`, not `key`: Option+N on a Mac
  // types a dead key.
  const shortcut = appShortcut(event);
  if (shortcut === "n" && document.getElementById("new-session")) {
    event.preventDefault();
    document.getElementById("new-session").click();
  } else if (shortcut === "t") {
    event.preventDefault();
    cycleTheme();
  }
});

function appShortcut(event) {
  if (event.isComposing || event.shiftKey || event.repeat) {
    return null;
  }
  const letter = /^Key([NT])$/.exec(event.code)?.[1]?.toLowerCase();
  const withCtrl = (event.ctrlKey || event.metaKey) && !event.altKey;
  const withAlt = event.altKey && !event.ctrlKey && !event.metaKey;
  return letter && (withCtrl || withAlt) ? letter : null;
}

function toggle(paneId, buttonId) {
  const app = document.getElementById("app");
  const hidden = app.classList.toggle(`hide-${paneId}`);
  document.getElementById(buttonId)?.setAttribute("aria-expanded", String(!hidden));
}

// Themes live in this browser (localStorage): system (the OS setting), light, dark and high
// contrast, cycled by the ◐ button, Ctrl+T / Alt+T and `/theme`.
const THEMES = ["system", "light", "dark", "contrast"];
const THEME_LABELS = { system: "system", light: "light", dark: "dark", contrast: "high contrast" };
const currentTheme = () => {
  const saved = localStorage.getItem("codesm-theme");
  return THEMES.includes(saved) ? saved : "system";
};
function applyTheme(theme) {
  if (theme === "system") {
    delete document.documentElement.dataset.theme;
  } else {
    document.documentElement.dataset.theme = theme;
  }
  const button = document.getElementById("toggle-theme");
  if (button) {
    button.title = `Theme: ${THEME_LABELS[theme]} (Ctrl+T or Alt+T for the next)`;
    button.setAttribute("aria-label", `Theme: ${THEME_LABELS[theme]}, switch`);
  }
}
function useTheme(theme) {
  const next = theme === "next" ? THEMES[(THEMES.indexOf(currentTheme()) + 1) % THEMES.length] : theme;
  if (THEMES.includes(next)) {
    localStorage.setItem("codesm-theme", next);
    applyTheme(next);
  }
}
const cycleTheme = () => useTheme("next");
applyTheme(currentTheme());

// `/theme NAME` is answered by the server with the theme to use; the choice stays here.
document.addEventListener("htmx:wsAfterMessage", () => {
  const asked = document.querySelector("#flash [data-set-theme]");
  if (asked) {
    asked.remove();
    useTheme(asked.dataset.setTheme);
  }
});

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
    cycleTheme();
  }
});

// The Context panel is replaced after every model step: keep it open or closed as the reader left
// it (a `/context` answer arrives with `data-opened` and opens it).
let contextOpen = false;
document.addEventListener("toggle", (event) => {
  if (event.target.closest?.("#context-panel")) {
    contextOpen = event.target.open;
  }
}, true);
document.addEventListener("htmx:wsAfterMessage", () => {
  const details = document.querySelector("#context-panel details");
  if (!details) {
    return;
  }
  if (details.hasAttribute("data-opened")) {
    details.removeAttribute("data-opened");
    contextOpen = true;
  }
  details.open = contextOpen;
});

// A running subagent's elapsed time ticks every second between its progress updates. The row's
// `data-started` is its start on the server's clock; a finished row comes without it, and the
// timer stops once no running row is left.
let elapsedTimer = null;
function tickElapsed() {
  const running = document.querySelectorAll(".subagent-elapsed[data-started]");
  for (const span of running) {
    const seconds = Math.max(0, (Date.now() - Number(span.dataset.started)) / 1000);
    span.textContent = `${Math.floor(seconds)} s`;
  }
  if (running.length === 0 && elapsedTimer !== null) {
    clearInterval(elapsedTimer);
    elapsedTimer = null;
  }
}
function watchElapsed() {
  if (elapsedTimer === null && document.querySelector(".subagent-elapsed[data-started]")) {
    elapsedTimer = setInterval(tickElapsed, 1000);
  }
}
document.addEventListener("htmx:wsAfterMessage", watchElapsed);
watchElapsed();
