// The composer's completions (`@file` mentions and `/` commands, ranked on the server), command
// replies that open a page or the connect dialog, and the connect dialog itself. No inline code.
"use strict";

const COMMAND_TOKEN = /^\/[a-z]*$/;
const MENTION_TOKEN = /(?:^|\s)(@[^\s@]*)$/;
let completionTimer = null;
let completionSpan = null;

const promptBox = () => document.getElementById("prompt");
const listbox = () => document.getElementById("completions");
const isOwnerPage = () => document.querySelector("#app.role-owner") !== null;

function tokenAtCursor(box) {
  const before = box.value.slice(0, box.selectionStart);
  if (COMMAND_TOKEN.test(before)) {
    return { text: before, start: 0, end: before.length };
  }
  const mention = MENTION_TOKEN.exec(before);
  if (mention) {
    return { text: mention[1], start: before.length - mention[1].length, end: before.length };
  }
  return null;
}

function closeCompletions() {
  listbox()?.remove();
  completionSpan = null;
  const box = promptBox();
  box?.setAttribute("aria-expanded", "false");
  box?.removeAttribute("aria-activedescendant");
}

async function fetchCompletions(box) {
  const token = tokenAtCursor(box);
  if (!token || !isOwnerPage() || !box.form?.hasAttribute("ws-send")) {
    closeCompletions();
    return;
  }
  const response = await fetch(`/complete?q=${encodeURIComponent(token.text)}`, {
    headers: { "HX-Request": "true" },
    credentials: "same-origin",
  });
  if (!response.ok || tokenAtCursor(box)?.text !== token.text) {
    return;
  }
  const holder = document.createElement("template");
  holder.innerHTML = await response.text();
  const list = holder.content.querySelector("#completions");
  closeCompletions();
  if (!list || !list.children.length) {
    return;
  }
  completionSpan = token;
  box.form.appendChild(list);
  box.setAttribute("aria-controls", "completions");
  box.setAttribute("aria-expanded", "true");
  select(list.querySelector('[aria-selected="true"]') ?? list.firstElementChild);
}

function select(option) {
  const list = listbox();
  if (!list || !option) {
    return;
  }
  for (const item of list.children) {
    item.setAttribute("aria-selected", String(item === option));
  }
  option.scrollIntoView({ block: "nearest" });
  promptBox()?.setAttribute("aria-activedescendant", option.id);
}

function accept(option) {
  const box = promptBox();
  if (!box || !option || !completionSpan) {
    return;
  }
  const { start, end } = completionSpan;
  const value = `${option.dataset.value} `;
  box.value = box.value.slice(0, start) + value + box.value.slice(end);
  box.selectionStart = box.selectionEnd = start + value.length;
  closeCompletions();
  box.focus();
}

document.addEventListener("input", (event) => {
  if (event.target?.id !== "prompt") {
    return;
  }
  clearTimeout(completionTimer);
  completionTimer = setTimeout(() => fetchCompletions(event.target), 120);
});

document.addEventListener("keydown", (event) => {
  const list = listbox();
  if (event.target?.id !== "prompt" || !list) {
    return;
  }
  const current = list.querySelector('[aria-selected="true"]');
  let handled = true;
  if (event.key === "ArrowDown") {
    select(current?.nextElementSibling ?? list.firstElementChild);
  } else if (event.key === "ArrowUp") {
    select(current?.previousElementSibling ?? list.lastElementChild);
  } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
    accept(current);
  } else if (event.key === "Escape") {
    closeCompletions();
  } else {
    handled = false;
  }
  if (handled) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

document.addEventListener("mousedown", (event) => {
  const option = event.target.closest?.("#completions [role=option]");
  if (option) {
    event.preventDefault();
    accept(option);
  } else if (!event.target.closest?.("#composer")) {
    closeCompletions();
  }
});

document.addEventListener("htmx:wsAfterSend", (event) => {
  if (event.target.closest?.("form")?.id === "composer") {
    closeCompletions();
  }
});

// A command reply may ask to open a page (/new) or the connect dialog (/connect).
document.addEventListener("htmx:wsAfterMessage", () => {
  const go = document.querySelector("#flash a[data-navigate]");
  if (go) {
    go.removeAttribute("data-navigate");
    window.location.assign(go.href);
  }
  const connectNow = document.querySelector("#flash [data-open-connect]");
  if (connectNow) {
    connectNow.removeAttribute("data-open-connect");
    openConnect();
  }
});

function openConnect() {
  if (isOwnerPage() && document.getElementById("connect-slot") && window.htmx) {
    window.htmx.ajax("GET", "/connect", { target: "#connect-slot", swap: "innerHTML" });
  }
}

document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail?.target?.id === "connect-slot") {
    document.getElementById("connect-dialog")?.showModal();
  }
});

// Ctrl+A opens the connect dialog, except where it selects text.
document.addEventListener("keydown", (event) => {
  const typing = event.target.closest?.("input, textarea, select, [contenteditable]");
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "a" && !typing) {
    event.preventDefault();
    openConnect();
  }
});
