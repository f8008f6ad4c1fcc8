// Glue only: the page works as HTML; htmx does the rest.
"use strict";

// Every htmx request carries the CSRF token from <meta name="csrf-token">; the server refuses
// any non-GET without it.
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRF-Token"] = meta.content;
  }
});

// The server announces "connected" itself; only the browser knows when the socket drops.
document.addEventListener("htmx:wsClose", () => {
  const state = document.getElementById("connection-state");
  if (state) {
    state.textContent = "reconnecting";
    state.className = "conn conn-reconnecting";
  }
});
