// The Start and Restart buttons open a fresh session on the same URL (token
// kept, textual.js's "delay" dropped). A file of its own, not inline script:
// the page's Content-Security-Policy allows scripts from this server only.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll(".start-again")) {
    button.addEventListener("click", () => {
      const params = new URLSearchParams(window.location.search);
      params.delete("delay");
      window.location.href = window.location.pathname + "?" + params.toString();
    });
  }
});
