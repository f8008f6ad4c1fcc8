// The splitter between the chat and the code pane: drag it (pointer events) or focus it and use
// the arrow keys, Home (narrowest) and End (widest). The code pane's width is a share of the panes row, kept in this
// browser (localStorage) and applied as the `--codepane-width` custom property through the CSSOM,
// which the page's CSP allows (no style attribute is ever written into the markup).
(() => {
  const KEY = "codesm-codepane-width";
  const MIN = 20;
  const MAX = 65;
  const STEP = 2;
  const clamp = (share) => Math.min(MAX, Math.max(MIN, Math.round(share)));

  function apply(splitter, share) {
    const panes = splitter.closest(".panes");
    panes.style.setProperty("--codepane-width", `${share}%`);
    splitter.setAttribute("aria-valuenow", String(share));
    splitter.setAttribute("aria-valuetext", `code pane ${share}% wide`);
  }

  function save(share) {
    try {
      localStorage.setItem(KEY, String(share));
    } catch {
      // storage may be off (private mode): the width then lasts as long as the page
    }
  }

  function shareAt(splitter, clientX) {
    const box = splitter.closest(".panes").getBoundingClientRect();
    return clamp(((box.right - clientX) / box.width) * 100);
  }

  function setUp(splitter) {
    const saved = Number(localStorage.getItem(KEY));
    apply(splitter, Number.isFinite(saved) && saved > 0 ? clamp(saved) : Number(splitter.getAttribute("aria-valuenow")));

    splitter.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) {
        return;
      }
      event.preventDefault();
      splitter.setPointerCapture(event.pointerId);
      splitter.classList.add("dragging");
    });
    splitter.addEventListener("pointermove", (event) => {
      if (splitter.hasPointerCapture(event.pointerId)) {
        apply(splitter, shareAt(splitter, event.clientX));
      }
    });
    const stop = (event) => {
      if (splitter.hasPointerCapture(event.pointerId)) {
        splitter.releasePointerCapture(event.pointerId);
      }
      splitter.classList.remove("dragging");
      save(Number(splitter.getAttribute("aria-valuenow")));
    };
    splitter.addEventListener("pointerup", stop);
    splitter.addEventListener("pointercancel", stop);

    splitter.addEventListener("keydown", (event) => {
      const now = Number(splitter.getAttribute("aria-valuenow"));
      // The separator sits left of the code pane: moving it left widens the pane.
      const next = {
        ArrowLeft: now + STEP,
        ArrowRight: now - STEP,
        Home: MIN,
        End: MAX,
      }[event.key];
      if (next === undefined) {
        return;
      }
      event.preventDefault();
      apply(splitter, clamp(next));
      save(clamp(next));
    });
  }

  const splitter = document.getElementById("codepane-splitter");
  if (splitter) {
    setUp(splitter);
  }
})();
