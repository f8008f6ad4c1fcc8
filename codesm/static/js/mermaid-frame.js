// Runs only inside the sandboxed /mermaid-frame document (opaque origin, see routes/mermaid.py).
// It takes diagram source from the page that embeds it and from nobody else, draws it with
// mermaid in strict mode, and answers with the drawing's height or the error.
"use strict";

(() => {
  const diagram = document.getElementById("diagram");
  let drawings = 0;
  let asker = null; // the embedding page's window and real origin, from its first message

  function reply(message) {
    if (asker) {
      asker.window.postMessage({ codesm: "mermaid", ...message }, asker.origin);
    }
  }

  function reportHeight() {
    if (diagram.firstElementChild) {
      reply({ state: "drawn", height: Math.ceil(document.documentElement.scrollHeight) });
    }
  }

  async function draw(source, dark) {
    drawings += 1;
    const id = `diagram-${drawings}`;
    // A frame whose colour scheme differs from the page's gets an opaque canvas: match it.
    document.documentElement.style.colorScheme = dark ? "dark" : "light";
    try {
      mermaid.initialize({
        startOnLoad: false,
        securityLevel: "strict",
        suppressErrorRendering: true,
        theme: dark ? "dark" : "default",
      });
      const { svg } = await mermaid.render(id, source);
      // mermaid's strict mode has run its DOMPurify pass over labels; this CSP forbids inline
      // handlers and any script but ours even if one slipped through.
      diagram.innerHTML = svg;
      reportHeight();
    } catch (error) {
      diagram.replaceChildren();
      document.getElementById(id)?.remove();
      document.getElementById(`d${id}`)?.remove();
      reply({ state: "failed", error: String((error && error.message) || error) });
    }
  }

  window.addEventListener("message", (event) => {
    // A sandboxed frame cannot check the sender's origin against its own ("null"): it accepts
    // only its own embedder, and answers only to the origin that embedder really has.
    if (window.parent === window || event.source !== window.parent) {
      return;
    }
    const data = event.data;
    if (!data || data.codesm !== "mermaid-draw" || typeof data.source !== "string") {
      return;
    }
    asker = { window: event.source, origin: event.origin };
    draw(data.source, data.dark === true);
  });

  // A width change reflows the SVG; the page then needs the new height.
  new ResizeObserver(reportHeight).observe(diagram);

  if (window.parent !== window) {
    // Carries nothing: the page answers with the source, addressed to this frame only.
    window.parent.postMessage({ codesm: "mermaid", state: "ready" }, "*");
  }
})();
