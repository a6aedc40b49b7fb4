// REC Portal front-end: start NHS.UK frontend components, and again for content that
// htmx swaps in. Everything works without this file; it only enhances.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();

document.body.addEventListener("htmx:load", (event) => {
  const element = event.detail && event.detail.elt;
  if (!element || element === document.body) {
    return; // the page itself was started above
  }
  initAll({ scope: element, onError: () => {} });
  // The control that was used may have been replaced: move focus to what changed, so
  // keyboard and screen reader users are not left at the top of the page.
  const target =
    element.querySelector(".nhsuk-error-summary") ||
    element.querySelector(".nhsuk-form-group--error input, .nhsuk-form-group--error select, .nhsuk-form-group--error textarea") ||
    element.querySelector("[data-rec-focus]");
  if (target) {
    target.focus();
  }
});

// "Leave this page quickly" (a small form posting to /quick-exit; without JavaScript that
// post ends the session and redirects to the neutral site). With JavaScript: blank the
// page at once, end the session on the server with a request that survives the page
// unloading (sendBeacon, else fetch with keepalive), then replace this page in the history
// with the neutral site, so Back never returns here. Escape does the same on pages that
// show the control.
function leaveQuickly(form) {
  document.documentElement.classList.add("rec-leaving");
  document.title = "Weather";
  const exitUrl = form.getAttribute("data-rec-quick-exit");
  const data = new FormData(form);
  data.append("via", "beacon");
  let sent = false;
  try {
    sent = navigator.sendBeacon(form.action, data);
  } catch (error) {
    sent = false;
  }
  if (!sent) {
    try {
      fetch(form.action, { method: "POST", body: data, keepalive: true, credentials: "same-origin" }).catch(() => {});
    } catch (error) {
      // Leave anyway; the next page the person opens here finds them signed in at worst.
    }
  }
  document.body.replaceChildren(); // nothing private left in the page, whatever happens next
  window.location.replace(exitUrl);
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches && form.matches("form[data-rec-quick-exit]")) {
    event.preventDefault();
    leaveQuickly(form);
  }
});

document.addEventListener("keydown", (event) => {
  // Not while an input method is composing text (Escape cancels the composition there).
  if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) {
    return;
  }
  const form = document.querySelector("form[data-rec-quick-exit]");
  if (form) {
    leaveQuickly(form);
  }
});

// A private or signed-in page (body[data-rec-private]) that the browser keeps in its
// back/forward cache is blanked as it goes in, and reloaded from the server if it is ever
// brought back, so Back after a quick exit or signing out never shows it as it was.
window.addEventListener("pagehide", (event) => {
  if (event.persisted && document.body.hasAttribute("data-rec-private")) {
    document.documentElement.classList.add("rec-leaving");
  }
});

window.addEventListener("pageshow", (event) => {
  if (event.persisted && document.body.hasAttribute("data-rec-private")) {
    document.documentElement.classList.add("rec-leaving");
    window.location.reload();
  }
});
