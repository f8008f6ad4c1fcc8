// Mermaid diagrams in the chat. The server sends each ```mermaid block as escaped source
// (`pre.mermaid-source`); this draws it in a sandboxed iframe (/mermaid-frame) because mermaid's
// inline styles are only allowed by that frame's own CSP, never by this page's. The source goes
// over postMessage; replies are taken only from frames this script created.
"use strict";

(() => {
  const FRAME_URL = "/mermaid-frame";
  const MIN_HEIGHT = 24;
  const MAX_HEIGHT = 4000;
  const frames = new Map(); // frame window -> { frame, figure, details, source }

  const dark = () => {
    const theme = document.documentElement.dataset.theme;
    return theme ? theme === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  };

  function send(entry) {
    // The frame's origin is opaque ("null"), so "*" is the only target that reaches it; the
    // window is the frame we created, and the source is already on this page.
    entry.frame.contentWindow?.postMessage(
      { codesm: "mermaid-draw", source: entry.source, dark: dark() }, "*",
    );
  }

  function upgrade(pre) {
    pre.dataset.mermaid = "drawing";
    const figure = document.createElement("figure");
    figure.className = "mermaid-figure mermaid-drawing";
    const frame = document.createElement("iframe");
    frame.className = "mermaid-frame";
    frame.setAttribute("sandbox", "allow-scripts");
    frame.title = "mermaid diagram";
    frame.referrerPolicy = "no-referrer";
    const details = document.createElement("details");
    details.className = "mermaid-details";
    const summary = document.createElement("summary");
    summary.textContent = "show source";
    pre.replaceWith(figure);
    details.append(summary, pre);
    figure.append(frame, details);
    frame.src = FRAME_URL;
    frames.set(frame.contentWindow, { frame, figure, details, source: pre.textContent });
  }

  function drawn(entry, height) {
    entry.frame.hidden = false;
    entry.frame.height = String(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(height))));
    entry.figure.classList.remove("mermaid-drawing", "mermaid-failed");
    entry.figure.querySelector(".mermaid-error")?.remove();
  }

  function failed(entry, error) {
    entry.figure.classList.remove("mermaid-drawing");
    entry.figure.classList.add("mermaid-failed");
    entry.frame.hidden = true;
    let note = entry.figure.querySelector(".mermaid-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "mermaid-error";
      note.setAttribute("role", "status");
      entry.figure.prepend(note);
    }
    note.textContent = `Diagram not drawn: ${error}`;
    entry.details.open = true;
  }

  window.addEventListener("message", (event) => {
    const entry = frames.get(event.source);
    if (!entry || event.origin !== "null") {
      return;
    }
    const data = event.data;
    if (!data || data.codesm !== "mermaid") {
      return;
    }
    if (data.state === "ready") {
      send(entry);
    } else if (data.state === "drawn" && Number.isFinite(data.height)) {
      drawn(entry, data.height);
    } else if (data.state === "failed" && typeof data.error === "string") {
      failed(entry, data.error.slice(0, 500));
    }
  });

  function scan() {
    for (const [view, entry] of frames) {
      if (!entry.frame.isConnected) {
        frames.delete(view);
      }
    }
    for (const pre of document.querySelectorAll("pre.mermaid-source:not([data-mermaid])")) {
      upgrade(pre);
    }
  }

  // Finished messages arrive as WebSocket fragments; pages and replays as htmx swaps or the page.
  for (const name of ["htmx:wsAfterMessage", "htmx:afterSwap", "htmx:load"]) {
    document.addEventListener(name, scan);
  }
  scan();

  // A theme switch redraws every diagram in the matching mermaid theme.
  new MutationObserver(() => frames.forEach(send)).observe(document.documentElement, {
    attributes: true, attributeFilter: ["data-theme"],
  });
})();
