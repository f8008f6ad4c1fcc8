// Keyboard review of a pending edit (the newest one waiting for a decision): `j`/`k` move between
// its hunks, space toggles the current hunk's checkbox, `a` accepts (the checked hunks when it can
// choose, else the whole change), `r` puts the cursor in the reject comment. Keys typed into a
// text field are left alone. Also the unified / side-by-side switch of every diff on the page.
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

  // The layout is a cookie, so the server renders pages and live cards in it. A diff shown in the
  // other layout (the switch was just used, or a socket opened before sent it) is fetched again,
  // one card at a time, keeping which hunks the reviewer unchecked and where they were.
  const LAYOUT_COOKIE = "codesm_diff";

  function chosenLayout() {
    const pair = document.cookie.split("; ").find((c) => c.startsWith(`${LAYOUT_COOKIE}=`));
    return pair?.slice(LAYOUT_COOKIE.length + 1) === "split" ? "split" : "unified";
  }

  function chooseLayout(layout) {
    document.cookie = `${LAYOUT_COOKIE}=${layout}; path=/; max-age=31536000; SameSite=Strict`;
    syncLayouts();
  }

  function syncLayouts() {
    const layout = chosenLayout();
    for (const toggle of document.querySelectorAll(".diff-layout-toggle")) {
      toggle.setAttribute("aria-pressed", String(layout === "split"));
    }
    for (const diff of document.querySelectorAll(`article.change > .diff:not([data-layout="${layout}"])`)) {
      refetchDiff(diff, layout);
    }
  }

  async function refetchDiff(diff, layout) {
    const card = diff.closest("article.change");
    const session = /^\/s\/([A-Za-z0-9_-]+)/.exec(window.location.pathname)?.[1];
    if (!card?.dataset.changeId || !session || diff.dataset.loading === layout) {
      return;
    }
    diff.dataset.loading = layout;
    const url = `/s/${session}/changes/${encodeURIComponent(card.dataset.changeId)}?layout=${layout}`;
    const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (!response.ok) {
      delete diff.dataset.loading;
      return;
    }
    const holder = document.createElement("template");
    holder.innerHTML = await response.text();
    const fresh = holder.content.getElementById(diff.id);
    if (!fresh || !diff.isConnected) {
      return; // a live update replaced the card meanwhile; the next sync looks at the new one
    }
    const unchecked = new Set(Array.from(diff.querySelectorAll(".hunk-pick input:not(:checked)"), (box) => box.value));
    for (const box of fresh.querySelectorAll(".hunk-pick input")) {
      box.checked = !unchecked.has(box.value);
    }
    const hunks = Array.from(diff.querySelectorAll(".diff-hunk"));
    const current = hunks.findIndex((hunk) => hunk.classList.contains("hunk-current"));
    const freshHunk = fresh.querySelectorAll(".diff-hunk")[current];
    if (freshHunk) {
      freshHunk.classList.add("hunk-current");
      freshHunk.setAttribute("aria-current", "true");
    }
    diff.replaceWith(fresh);
  }

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest?.(".diff-layout-toggle");
    if (toggle) {
      chooseLayout(toggle.getAttribute("aria-pressed") === "true" ? "unified" : "split");
    }
  });
  document.addEventListener("htmx:wsAfterMessage", syncLayouts);
})();
