// The command palette (Ctrl+P): filter the `/` commands as you type, arrows to choose, Enter to
// run (sent through the composer like a typed command), Escape to close. "Open file…" switches
// it to the workspace's fuzzy file finder (`/complete?q=@…`) and opens the pick in the preview.
"use strict";

(() => {
  const dialog = () => document.getElementById("palette");
  const input = () => document.getElementById("palette-input");
  const list = () => document.getElementById("palette-list");
  let mode = "commands";
  let commandItems = null;
  let fileTimer = null;

  const visibleOptions = () =>
    Array.from(list()?.querySelectorAll("[role=option]") ?? []).filter((o) => !o.hidden);

  function select(option) {
    for (const item of list()?.querySelectorAll("[role=option]") ?? []) {
      item.setAttribute("aria-selected", String(item === option));
    }
    if (option) {
      option.scrollIntoView({ block: "nearest" });
      input()?.setAttribute("aria-activedescendant", option.id);
    } else {
      input()?.removeAttribute("aria-activedescendant");
    }
  }

  function showEmpty() {
    const empty = document.getElementById("palette-empty");
    if (empty) {
      empty.hidden = visibleOptions().length > 0;
    }
  }

  function filterCommands() {
    const query = input().value.trim().toLowerCase().replace(/^\//, "");
    for (const option of list().querySelectorAll("[role=option]")) {
      option.hidden = query !== "" && !option.dataset.filter.includes(query);
    }
    const shown = visibleOptions();
    const exact = shown.find((o) => o.dataset.command === query);
    select(exact ?? shown[0] ?? null);
    showEmpty();
  }

  function open() {
    const d = dialog();
    if (!d || d.open) {
      return;
    }
    if (commandItems === null) {
      commandItems = list().innerHTML;
    }
    setMode("commands");
    d.showModal();
    input().focus();
  }

  function close() {
    const d = dialog();
    if (d?.open) {
      d.close();
    }
    clearTimeout(fileTimer);
  }

  function setMode(next) {
    mode = next;
    const box = input();
    box.value = "";
    box.placeholder = next === "files" ? box.dataset.placeholderFiles : "Type a command…";
    list().setAttribute("aria-label", next === "files" ? "Files" : "Commands");
    if (next === "commands") {
      list().innerHTML = commandItems;
      filterCommands();
    } else {
      list().replaceChildren();
      showEmpty();
    }
  }

  async function findFiles() {
    const query = input().value;
    const response = await fetch(`/complete?q=${encodeURIComponent(`@${query}`)}`, {
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
    });
    if (!response.ok || mode !== "files" || input().value !== query) {
      return;
    }
    const holder = document.createElement("template");
    holder.innerHTML = await response.text();
    const options = [];
    for (const found of holder.content.querySelectorAll("[role=option]")) {
      const path = (found.dataset.value ?? "").replace(/^@/, "");
      const option = document.createElement("li");
      option.className = "palette-option";
      option.setAttribute("role", "option");
      option.id = `palette-file-${options.length}`;
      option.dataset.path = path;
      const code = document.createElement("code");
      code.textContent = path;
      option.appendChild(code);
      options.push(option);
    }
    list().replaceChildren(...options);
    select(options[0] ?? null);
    showEmpty();
  }

  function run(option) {
    if (!option) {
      return;
    }
    if (option.dataset.action === "open-file") {
      setMode("files");
      findFiles();
      return;
    }
    if (option.dataset.path !== undefined) {
      close();
      openFile(option.dataset.path);
      return;
    }
    const name = option.dataset.command;
    close();
    const prompt = document.getElementById("prompt");
    if (!name || !prompt) {
      return;
    }
    if (option.dataset.needsArgument) {
      prompt.value = `/${name} `;
      prompt.focus();
      prompt.selectionStart = prompt.selectionEnd = prompt.value.length;
      return;
    }
    prompt.value = `/${name}`;
    prompt.form?.requestSubmit();
  }

  function openFile(path) {
    document.getElementById("app")?.classList.remove("hide-codepane");
    document.getElementById("toggle-code")?.setAttribute("aria-expanded", "true");
    if (window.htmx && document.getElementById("preview")) {
      window.htmx.ajax("GET", `/files/view?path=${encodeURIComponent(path)}`, {
        target: "#preview",
        swap: "innerHTML",
      });
    }
  }

  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "p") {
      if (dialog()) {
        event.preventDefault();
        event.stopImmediatePropagation();
        if (dialog().open) {
          close();
        } else {
          open();
        }
      }
      return;
    }
    if (!dialog()?.open) {
      return;
    }
    const options = visibleOptions();
    const current = options.find((o) => o.getAttribute("aria-selected") === "true");
    const at = current ? options.indexOf(current) : -1;
    let handled = true;
    if (event.key === "ArrowDown") {
      select(options[(at + 1) % options.length] ?? null);
    } else if (event.key === "ArrowUp") {
      select(options[(at - 1 + options.length) % options.length] ?? null);
    } else if (event.key === "Enter" && !event.isComposing) {
      run(current);
    } else if (event.key === "Escape") {
      if (mode === "files") {
        setMode("commands");
      } else {
        close();
      }
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("input", (event) => {
    if (event.target?.id !== "palette-input") {
      return;
    }
    if (mode === "commands") {
      filterCommands();
    } else {
      clearTimeout(fileTimer);
      fileTimer = setTimeout(findFiles, 100);
    }
  });

  document.addEventListener("click", (event) => {
    const d = dialog();
    if (!d?.open) {
      return;
    }
    const option = event.target.closest?.("#palette-list [role=option]");
    if (option) {
      run(option);
    } else if (event.target === d) {
      close();  // a click on the backdrop
    }
  });
})();
