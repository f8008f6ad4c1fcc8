// Keyboard review of a pending edit (the newest one waiting for a decision): `j`/`k` move between
// its hunks, space toggles the current hunk's checkbox, `a` accepts (the checked hunks when it can
// choose, else the whole change), `r` puts the cursor in the reject comment. Keys typed into a
// text field are left alone.
"use strict";

(() => {
  const TEXT_FIELDS = "input:not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]";

  const pendingChange = () => {
    const cards = document.querySelectorAll("article.change.pending");
    return cards.length ? cards[cards.length - 1] : null;
  };

  function moveHunk(card, step) {
    const hunks = Array.from(card.querySelectorAll(".diff-hunk"));
    if (!hunks.length) {
      return;
    }
    const at = hunks.findIndex((h) => h.classList.contains("hunk-current"));
    const next = at < 0 ? 0 : Math.min(hunks.length - 1, Math.max(0, at + step));
    for (const [n, hunk] of hunks.entries()) {
      hunk.classList.toggle("hunk-current", n === next);
      if (n === next) {
        hunk.setAttribute("aria-current", "true");
      } else {
        hunk.removeAttribute("aria-current");
      }
    }
    hunks[next].scrollIntoView({ block: "nearest" });
  }

  function toggleHunk(card) {
    const current = card.querySelector(".diff-hunk.hunk-current") ?? card.querySelector(".diff-hunk");
    const box = current?.querySelector(".hunk-pick input[type=checkbox]");
    if (box) {
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }
    return Boolean(box);
  }

  function accept(card) {
    const partial = card.querySelector("form.hunk-choice");
    if (partial) {
      partial.requestSubmit();
      return;
    }
    const approve = Array.from(card.querySelectorAll(".approval-actions form")).find(
      (form) => form.querySelector('input[name="type"][value="approve"]'),
    );
    approve?.requestSubmit();
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing || event.defaultPrevented) {
      return;
    }
    const target = event.target;
    if (target?.closest?.(TEXT_FIELDS) || document.querySelector("dialog[open]")) {
      return;
    }
    const card = pendingChange();
    if (!card) {
      return;
    }
    let handled = true;
    if (event.key === "j") {
      moveHunk(card, 1);
    } else if (event.key === "k") {
      moveHunk(card, -1);
    } else if (event.key === " " && !target?.closest?.("button, input, summary, a")) {
      handled = toggleHunk(card);
    } else if (event.key === "a") {
      accept(card);
    } else if (event.key === "r") {
      card.querySelector('.deny input[name="comment"]')?.focus();
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault();
    }
  });
})();
