// The file tree's "changed in this session" marks, kept current without a reload: after every
// applied, undone or redone change the session socket swaps in the list of changed paths
// (`#tree-changes`), and each folder and file the tree shows is marked or unmarked to match.
// Folders opened later come from the server already marked.
"use strict";

(() => {
  function setMark(item, changed) {
    const folder = item.classList.contains("tree-dir");
    item.classList.toggle(folder ? "tree-has-changes" : "tree-changed", changed);
    const holder = folder ? item.querySelector(":scope > details > summary") : item;
    const dot = holder?.querySelector(":scope > .changed-dot");
    if (changed && holder && !dot) {
      const mark = document.createElement("span");
      mark.className = "changed-dot";
      mark.textContent = "●";
      mark.title = folder ? "Has files changed in this session" : "Changed in this session";
      if (!folder) {
        mark.setAttribute("aria-label", "changed in this session");
      }
      holder.appendChild(mark);
    } else if (!changed && dot) {
      dot.remove();
    }
  }

  function syncMarks() {
    const list = document.getElementById("tree-changes");
    if (!list) {
      return;
    }
    const changed = new Set(Array.from(list.children, (item) => item.dataset.path));
    for (const item of document.querySelectorAll(".tree-level > li[data-path]")) {
      setMark(item, changed.has(item.dataset.path));
    }
  }

  document.addEventListener("htmx:oobAfterSwap", (event) => {
    if (event.target?.id === "tree-changes" || event.detail?.target?.id === "tree-changes") {
      syncMarks();
    }
  });
})();
